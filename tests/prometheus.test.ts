/**
 * The shop's Prometheus configuration, checked by promtool, and the real Prometheus (Debian's
 * `prometheus` package; `.ci/run` installs it) scraping a running system with the shop's alert
 * rules: every process up, the business metrics read back through Prometheus's query API, and
 * the dead-letters alert firing when a message is dead-lettered.
 *
 * In tests a service's API and worker share one process (and registry), so Prometheus scrapes six
 * endpoints here; `bun run start` and compose run each worker apart, on its operations port
 * (tests/start.test.ts reads each worker's /metrics).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, waitFor } from '@shop/shared/testing'
import { startSystem, type System } from './system.ts'

const ROOT = join(import.meta.dir, '..')
const CONFIG = join(ROOT, 'deploy/observability/prometheus.yml')
const RULES = join(ROOT, 'deploy/observability/alerts.yml')

function run(cmd: string[]) {
  const result = Bun.spawnSync(cmd, { stdout: 'pipe', stderr: 'pipe' })
  return { code: result.exitCode, output: `${result.stdout.toString()}${result.stderr.toString()}` }
}

describe('promtool', () => {
  test('the compose Prometheus configuration and the alert rules are valid', () => {
    // Not skipped when missing: .ci/run installs Debian's prometheus package, as it installs Chromium.
    expect(Bun.which('promtool')).not.toBeNull()
    const config = run(['promtool', 'check', 'config', CONFIG])
    expect({ code: config.code, output: config.output }).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') })
    const rules = run(['promtool', 'check', 'rules', RULES])
    expect({ code: rules.code, output: rules.output }).toEqual({ code: 0, output: expect.stringContaining('5 rules found') })
  })
})

describe('Prometheus scraping a running shop', () => {
  let s: System
  let prometheus: ReturnType<typeof Bun.spawn> | undefined
  let dir = ''
  let api = ''

  beforeAll(async () => {
    s = await startSystem({ gateway: {} })
    dir = mkdtempSync(join(tmpdir(), 'shop-prometheus-'))
    // The shop's own rules; the targets are this system's (compose names them by service).
    writeFileSync(join(dir, 'alerts.yml'), readFileSync(RULES))
    const targets = Object.entries(s.urls).map(([name, url]) => `  - job_name: ${name}\n    static_configs:\n      - targets: ["${new URL(url).host}"]`)
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - alerts.yml\nscrape_configs:\n${targets.join('\n')}\n`,
    )
    const port = freePort()
    api = `http://127.0.0.1:${port}`
    prometheus = Bun.spawn(
      ['prometheus', `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdout: 'ignore', stderr: 'ignore' },
    )
    await waitFor(async () => (await fetch(`${api}/-/ready`).catch(() => undefined))?.ok, 30_000, 200)
  }, 90_000)

  afterAll(async () => {
    // Only the Prometheus this test started, by its PID.
    prometheus?.kill()
    await prometheus?.exited
    rmSync(dir, { recursive: true, force: true })
    await s?.stop()
  }, 60_000)

  /** An instant query's samples: each series' labels and value. */
  async function query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]> {
    const res = (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as {
      status: string
      data: { result: { metric: Record<string, string>; value: [number, string] }[] }
    }
    expect(res.status).toBe('success')
    return res.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }))
  }

  test('every process is up; orders, payments by outcome and reason, and the queues read back through PromQL', async () => {
    const jobs = Object.keys(s.urls).sort()
    await waitFor(async () => (await query('up == 1')).length === jobs.length, 20_000, 250)
    expect((await query('up')).map((r) => [r.metric.job, r.value]).sort()).toEqual(jobs.map((job) => [job, 1]))

    const p = await s.product({ price: 1200, stock: 10 })
    const rich = await s.customer(10_000)
    const poor = await s.customer(0)
    const paid = (await s.order(rich.token, [{ productId: p.id, quantity: 1 }])).body
    const declined = (await s.order(poor.token, [{ productId: p.id, quantity: 1 }])).body
    await s.waitForOrder(rich.token, paid.id, 'PAID')
    await s.waitForFinal(poor.token, declined.id)

    await waitFor(async () => (await query('sum(shop_orders_created_total)'))[0]?.value === 2, 15_000, 250)
    expect((await query('sum(shop_orders_created_total)'))[0]?.value).toBe(2)
    // Each target is scraped on its own beat: wait for the payments' too.
    const byOutcome = 'sum by (event, reason) (shop_events_committed_total{event=~"payment.succeeded|payment.declined"})'
    await waitFor(async () => (await query(byOutcome)).length === 2, 15_000, 250)
    const decided = await query(byOutcome)
    // (Prometheus drops an empty label.)
    expect(decided.map((r) => [r.metric.event, r.metric.reason ?? "", r.value]).sort()).toEqual([
      ['payment.declined', 'insufficient_funds', 1],
      ['payment.succeeded', '', 1],
    ])
    // Each worker's queue, by state, and the HTTP histograms the latency alert reads.
    expect((await query('count by (queue) (shop_queue_jobs)')).map((r) => r.metric.queue).sort()).toEqual(['catalog', 'orders', 'payments', 'reviews'])
    const posted = 'sum(http_requests_total{service="orders",route="/api/orders",method="POST"})'
    await waitFor(async () => ((await query(posted))[0]?.value ?? 0) >= 2, 15_000, 250)
    expect((await query(posted))[0]?.value).toBe(2)
  }, 60_000)

  test('the Grafana dashboard queries only metrics the processes export', async () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/observability/grafana/dashboards/shop.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] }
    const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b((?:shop|http|process|events?)_[a-z0-9_]+)\b/g)].map((m) => m[1]!))))
    expect(used.size).toBeGreaterThan(10)
    const names = ((await (await fetch(`${api}/api/v1/label/__name__/values`)).json()) as { data: string[] }).data
    expect([...used].filter((name) => !names.includes(name)).sort()).toEqual([])
    // The panels are there.
    const titles = dashboard.panels.map((p) => p.title).join(' | ')
    for (const what of ['Orders per second', 'paid vs declined', 'Order to PAID latency', 'Queue depth', 'Outbox lag', 'HTTP p99 by route', 'CPU per process', 'Memory per process']) expect(titles).toContain(what)
  })

  test('the shop rules are loaded, and DeadLetters fires when a message is dead-lettered', async () => {
    const rules = (await (await fetch(`${api}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string }[] }[] } }
    const loaded = rules.data.groups.flatMap((g) => g.rules)
    expect(loaded.map((r) => r.name).sort()).toEqual(['DeadLetters', 'OutboxLagging', 'ProcessNotReady', 'QueueBacklog', 'SlowRequests'])
    await s.db.orders.sql`
      insert into dead_letters (message_id, queue, name, data, error, attempts)
      values (${crypto.randomUUID()}, 'orders', 'payment.succeeded', '{}'::jsonb, 'test: refused', 1)`
    const firing = async () => {
      const alerts = (await (await fetch(`${api}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } }
      return alerts.data.alerts.find((a) => a.labels.alertname === 'DeadLetters' && a.labels.queue === 'orders' && a.state === 'firing')
    }
    await waitFor(async () => !!(await firing()), 20_000, 250)
    expect(await firing()).toMatchObject({ labels: { alertname: 'DeadLetters', queue: 'orders', service: 'orders' }, state: 'firing' })
    // Every rule evaluated without an error against the real metrics.
    const after = (await (await fetch(`${api}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string }[] }[] } }
    expect(after.data.groups.flatMap((g) => g.rules).map((r) => [r.name, r.health])).toEqual(loaded.map((r) => [r.name, 'ok']))
  }, 60_000)
})
