import { Elysia } from 'elysia'
import type { authPlugin } from '@shop/shared/http/auth'
import { Problem } from '@shop/shared/http/errors'
import { OrderStats, StatsQuery } from './model.ts'
import type { StatsService } from './service.ts'

/** The owner's dashboard figures. */
export function statsRoutes(stats: StatsService, auth: ReturnType<typeof authPlugin>) {
  return new Elysia({ name: 'orders.stats', prefix: '/api/admin/orders', detail: { tags: ['admin'] } }).use(auth).get('/stats', ({ query }) => stats.stats(query), {
    auth: 'admin',
    query: StatsQuery,
    response: { 200: OrderStats, 401: Problem, 403: Problem, 422: Problem },
    detail: {
      summary:
        'Admin: orders, paid, declined and cancelled counts and money kept (with the average order value) per currency for today, 7 and 30 days, and a daily series; ?timeZone= says where days begin, ?days= how long the series is',
    },
  })
}
