/**
 * How many messages each queue this service consumes has dead-lettered (`dead_letters`): read by
 * the gateway's `GET /api/admin/system` for the owner's console. On the service's own port only
 * (`/internal/*` is never forwarded), with the admin's token the gateway passes on.
 */
import { Elysia, t } from 'elysia'
import type { authPlugin } from '../http/auth.ts'
import { Problem } from '../http/errors.ts'
import type { Sql } from '../data/db.ts'

export const DeadLetterCounts = t.Object({
  items: t.Array(t.Object({ queue: t.String(), count: t.Integer(), lastAt: t.Union([t.String({ format: 'date-time' }), t.Null()]) })),
})

export function deadLetterRoutes(sql: Sql, auth: ReturnType<typeof authPlugin>) {
  return new Elysia({ name: 'shop.dead-letters' }).use(auth).get(
    '/internal/dead-letters',
    async () => {
      const rows = await sql<{ queue: string; count: number; lastAt: Date }[]>`
        select queue, count(*)::int as count, max(failed_at) as last_at from dead_letters group by queue order by queue`
      return { items: rows.map((r) => ({ queue: r.queue, count: r.count, lastAt: r.lastAt.toISOString() })) }
    },
    {
      auth: 'admin',
      response: { 200: DeadLetterCounts, 401: Problem, 403: Problem },
      detail: { tags: ['internal'], summary: 'Admin, through the gateway: dead-lettered messages per queue this service consumes' },
    },
  )
}
