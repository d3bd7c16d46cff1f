/** The owner's figures: orders, money kept and outcomes per window, and a daily series. */
import type { Sql } from '@shop/shared/data/db'
import { ValidationFailedError } from '@shop/shared/http/errors'
import type { OrderStats } from './model.ts'
import * as repo from './repository.ts'

/** An IANA zone name both Intl and Postgres know (the same tz database); else a 422 naming the field. */
function checkTimeZone(timeZone: string): string {
  try {
    return new Intl.DateTimeFormat('en', { timeZone }).resolvedOptions().timeZone
  } catch {
    throw new ValidationFailedError('timeZone: must be an IANA time zone such as Europe/Berlin', [
      { field: 'timeZone', message: 'must be an IANA time zone such as Europe/Berlin' },
    ])
  }
}

const money = (text: string | null) => (text === null ? 0 : Number(text))

export function createStatsService(sql: Sql) {
  return {
    async stats(query: { timeZone?: string; days?: number }): Promise<OrderStats> {
      const timeZone = checkTimeZone(query.timeZone ?? 'UTC')
      const [windowRows, dayRows] = await sql.begin('isolation level repeatable read read only', (tx) =>
        Promise.all([repo.windows(tx, timeZone), repo.days(tx, timeZone, query.days ?? 30)]),
      )
      const windows: OrderStats['windows'] = []
      for (const row of windowRows) {
        let w = windows.find((x) => x.window === row.window)
        if (!w) windows.push((w = { window: row.window, from: row.from.toISOString(), orders: 0, paid: 0, declined: 0, cancelled: 0, revenue: [] }))
        w.orders += row.orders
        w.paid += row.paid
        w.declined += row.declined
        w.cancelled += row.cancelled
        if (row.currency !== null && row.kept > 0) {
          const amount = money(row.revenue)
          w.revenue.push({ currency: row.currency, amount, orders: row.kept, averageOrderValue: Math.round(amount / row.kept) })
        }
      }
      const days: OrderStats['days'] = []
      for (const row of dayRows) {
        let d = days.at(-1)
        if (d?.day !== row.day) days.push((d = { day: row.day, orders: 0, paid: 0, revenue: [] }))
        d.orders += row.orders
        d.paid += row.paid
        if (row.currency !== null && row.revenue !== null) d.revenue.push({ currency: row.currency, amount: money(row.revenue) })
      }
      return { timeZone, windows, days }
    },
  }
}
export type StatsService = ReturnType<typeof createStatsService>
