/**
 * The owner's figures, computed by Postgres over the orders of the last days (the
 * `orders_created_at` index): the dashboard never loads orders to count them.
 */
import type { Db } from '@shop/shared/data/db'

/** Paid at some point: every state after PAID, and a paid order cancelled with a refund. */
const paid = (db: Db) => db`(o.status in ('PAID', 'SHIPPED', 'DELIVERED', 'RETURN_REQUESTED', 'RETURNED') or o.refund_status is not null)`
/** Money the shop keeps: paid, not refunded, not returned (a requested return is not refunded yet). */
const kept = (db: Db) => db`o.status in ('PAID', 'SHIPPED', 'DELIVERED', 'RETURN_REQUESTED')`
const declined = (db: Db) => db`o.status = 'CANCELLED' and o.reason in ('insufficient_funds', 'no_wallet', 'out_of_stock', 'currency_mismatch', 'timeout')`
const cancelled = (db: Db) => db`o.status = 'CANCELLED' and o.reason = 'user_cancelled'`

export interface WindowRow {
  window: 'today' | '7d' | '30d'
  from: Date
  currency: string | null
  orders: number
  paid: number
  declined: number
  cancelled: number
  kept: number
  revenue: string | null
}

/** Per window and currency (a window without orders: one row with a null currency). */
export function windows(db: Db, timeZone: string): Promise<WindowRow[]> {
  return db<WindowRow[]>`
    with today as (select date_trunc('day', now() at time zone ${timeZone}) as midnight),
    bounds as (
      select w.name as window, (today.midnight - make_interval(days => w.back)) at time zone ${timeZone} as "from"
      from today, (values ('today', 0), ('7d', 6), ('30d', 29)) as w (name, back)
    )
    select b.window, b."from", o.currency,
           count(o.id)::int as orders,
           (count(o.id) filter (where ${paid(db)}))::int as paid,
           (count(o.id) filter (where ${declined(db)}))::int as declined,
           (count(o.id) filter (where ${cancelled(db)}))::int as cancelled,
           (count(o.id) filter (where ${kept(db)}))::int as kept,
           (sum(o.total) filter (where ${kept(db)}))::text as revenue
    from bounds b left join orders o on o.created_at >= b."from"
    group by b.window, b."from", o.currency
    order by b."from" desc, o.currency`
}

export interface DayRow {
  day: string
  currency: string | null
  orders: number
  paid: number
  revenue: string | null
}

/** Per day (in `timeZone`) and currency over the last `days` days, today included; empty days once with a null currency. */
export function days(db: Db, timeZone: string, days: number): Promise<DayRow[]> {
  return db<DayRow[]>`
    with today as (select date_trunc('day', now() at time zone ${timeZone}) as midnight),
    series as (
      select d as local_day, d at time zone ${timeZone} as starts, (d + interval '1 day') at time zone ${timeZone} as ends
      from today, generate_series(today.midnight - make_interval(days => ${days - 1}), today.midnight, interval '1 day') as d
    )
    select to_char(s.local_day, 'YYYY-MM-DD') as day, o.currency,
           count(o.id)::int as orders,
           (count(o.id) filter (where ${paid(db)}))::int as paid,
           (sum(o.total) filter (where ${kept(db)}))::text as revenue
    from series s left join orders o on o.created_at >= s.starts and o.created_at < s.ends
    group by s.local_day, o.currency
    order by s.local_day, o.currency`
}
