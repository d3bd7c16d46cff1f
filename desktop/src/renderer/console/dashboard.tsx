/**
 * The dashboard: today's, the week's and the month's orders and money (computed by the orders
 * service in SQL), revenue and orders per day, products running out, and the health of the
 * queues and processes. It reads again on every order change and every 30 seconds.
 */
import { useEffect, useMemo, useState } from 'preact/hooks'
import type { LowStockItem, OrderStats, SystemStatus } from '../../shared/api.ts'
import { api } from '../api.ts'
import { formatMoney } from '../money.ts'
import { ErrorBox, SkeletonRows, when } from '../ui.tsx'
import { DailyChart } from './chart.tsx'

const WINDOW_TITLES = { today: 'Today', '7d': 'Last 7 days', '30d': 'Last 30 days' } as const
/** Products with at most this many available are called low. */
export const LOW_STOCK = 5
const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone

export function Dashboard({ tick }: { tick: number }) {
  const [stats, setStats] = useState<OrderStats | null>(null)
  const [low, setLow] = useState<LowStockItem[] | null>(null)
  const [system, setSystem] = useState<SystemStatus | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [serverUrl, setServerUrl] = useState('')
  const [attempt, setAttempt] = useState(0)
  const [clock, setClock] = useState(0)

  useEffect(() => {
    void api.getServerUrl().then(setServerUrl, () => {})
    const timer = setInterval(() => setClock((c) => c + 1), 30_000)
    return () => clearInterval(timer)
  }, [])

  useEffect(() => {
    let cancelled = false
    const load = async () => {
      try {
        const [s, l, sys] = await Promise.all([api.adminStats(timeZone), api.lowStock(LOW_STOCK), api.adminSystem()])
        if (cancelled) return
        setStats(s)
        setLow(l.items)
        setSystem(sys)
        setError(null)
      } catch (e) {
        if (!cancelled) setError(e)
      }
    }
    void load()
    return () => {
      cancelled = true
    }
  }, [tick, attempt, clock])

  // The shop's main currency: the one with the most money kept this month (the first, else EUR).
  const currency = stats?.windows.find((w) => w.window === '30d')?.revenue.slice().sort((a, b) => b.amount - a.amount)[0]?.currency ?? 'EUR'
  const revenuePoints = useMemo(() => (stats ? stats.days.map((d) => ({ day: d.day, value: d.revenue.find((r) => r.currency === currency)?.amount ?? 0 })) : []), [stats, currency])
  const orderPoints = useMemo(() => (stats ? stats.days.map((d) => ({ day: d.day, value: d.orders })) : []), [stats])
  const money = useMemo(() => (minor: number) => formatMoney(Math.round(minor), currency).replace(/[.,]00(?!\d)/, ''), [currency])
  const count = useMemo(() => (n: number) => String(n), [])

  return (
    <main class="dashboard">
      <h1 tabIndex={-1}>Dashboard</h1>
      <ErrorBox error={error} onRetry={() => setAttempt((n) => n + 1)} />
      {!stats ? (
        !error && <SkeletonRows count={3} height="9rem" label="Loading the figures…" />
      ) : (
        <>
          <div class="windows">
            {stats.windows.map((w) => {
              const kept = w.revenue.find((r) => r.currency === currency)
              return (
                <section key={w.window} class="card figures" aria-labelledby={`window-${w.window}`} data-window={w.window}>
                  <h2 id={`window-${w.window}`}>{WINDOW_TITLES[w.window]}</h2>
                  <dl>
                    <div>
                      <dt>Revenue</dt>
                      <dd class="big" data-figure="revenue">
                        {formatMoney(kept?.amount ?? 0, currency)}
                      </dd>
                    </div>
                    <div>
                      <dt>Orders</dt>
                      <dd class="big" data-figure="orders">
                        {w.orders}
                      </dd>
                    </div>
                    <div>
                      <dt>Average order</dt>
                      <dd data-figure="aov">{kept ? formatMoney(kept.averageOrderValue, currency) : '—'}</dd>
                    </div>
                    <div>
                      <dt>Paid · declined · cancelled</dt>
                      <dd data-figure="outcomes">
                        {w.paid} · {w.declined} · {w.cancelled}
                      </dd>
                    </div>
                  </dl>
                  {w.revenue
                    .filter((r) => r.currency !== currency)
                    .map((r) => (
                      <p key={r.currency} class="muted small">
                        Also {formatMoney(r.amount, r.currency)} in {r.orders} {r.currency} {r.orders === 1 ? 'order' : 'orders'}
                      </p>
                    ))}
                </section>
              )
            })}
          </div>
          <p class="muted small">
            Revenue is the money kept: paid orders not refunded nor returned. Days begin at midnight ({stats.timeZone}).
          </p>
          <div class="charts">
            <DailyChart kind="bar" title={`Revenue per day, last ${stats.days.length} days (${currency})`} points={revenuePoints} format={money} />
            <DailyChart kind="line" title={`Orders per day, last ${stats.days.length} days`} points={orderPoints} format={count} />
          </div>
        </>
      )}
      <div class="panels">
        <section class="card" aria-labelledby="low-stock">
          <h2 id="low-stock">Low stock</h2>
          {low === null ? (
            !error && <SkeletonRows count={2} height="2rem" label="Loading stock…" />
          ) : low.length === 0 ? (
            <p class="muted">Every product has more than {LOW_STOCK} available.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Product</th>
                  <th scope="col" class="num">
                    Available
                  </th>
                  <th scope="col" class="num">
                    Reserved
                  </th>
                </tr>
              </thead>
              <tbody>
                {low.map((p) => (
                  <tr key={p.id} class={p.available <= 0 ? 'out' : ''}>
                    <td>
                      <a href={`#/products/${p.id}`}>{p.name}</a>
                    </td>
                    <td class="num">{p.available <= 0 ? 'None' : p.available}</td>
                    <td class="num">{p.reserved}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section class="card" aria-labelledby="health">
          <h2 id="health">Queues and processes</h2>
          {system === null ? (
            !error && <SkeletonRows count={2} height="2rem" label="Loading the queues…" />
          ) : (
            <>
              <table class="queues">
                <thead>
                  <tr>
                    <th scope="col">Queue</th>
                    <th scope="col" class="num">
                      Workers
                    </th>
                    <th scope="col" class="num">
                      Waiting
                    </th>
                    <th scope="col" class="num">
                      Failed
                    </th>
                    <th scope="col" class="num">
                      Dead letters
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {system.queues.map((q) => (
                    <tr key={q.name} data-queue={q.name}>
                      <td>{q.name}</td>
                      <td class={q.workers === 0 ? 'num warn' : 'num'}>{q.workers === 0 ? 'none' : q.workers}</td>
                      <td class="num">{q.waiting + q.delayed}</td>
                      <td class={q.failed > 0 ? 'num warn' : 'num'}>{q.failed}</td>
                      <td class={q.deadLetters !== 0 ? 'num warn' : 'num'}>{q.deadLetters ?? 'unknown'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <ul class="processes">
                {system.processes.map((p) => (
                  <li key={p.name} data-process={p.name} class={p.ready ? 'ready' : 'down'}>
                    <span aria-hidden="true">{p.ready ? '●' : '○'}</span> {p.name}: {p.ready ? 'ready' : `not ready (${p.detail ?? 'no answer'})`}
                  </li>
                ))}
              </ul>
              <p class="small muted">
                Checked {when(system.checkedAt)}.{' '}
                <a href={`${serverUrl}/admin/queues`} target="_blank" rel="noopener">
                  Open the queue dashboard (Bull Board)
                </a>
              </p>
            </>
          )}
        </section>
      </div>
    </main>
  )
}
