/**
 * A process's business metrics, beside the HTTP ones, in the runtime's registry (one per process;
 * in tests one per service, shared by its API and worker, so each metric is made once and found
 * again). Counters count in this process since it started (Prometheus' rate() and increase() read
 * them across restarts); gauges read what the database or Redis says when Prometheus scrapes, so
 * they are true whichever process made the change.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'

export function counterOf<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  return (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] })
}

export function histogramOf<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[], buckets: number[]): Histogram<L> {
  return (registry.getSingleMetric(name) as Histogram<L> | undefined) ?? new Histogram({ name, help, labelNames, buckets, registers: [registry] })
}

/** A gauge set by `read` at every scrape; a failed read leaves the last value and is counted. */
export function gaugeOf<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: (gauge: Gauge<L>) => Promise<void>,
): Gauge<L> {
  const existing = registry.getSingleMetric(name) as Gauge<L> | undefined
  if (existing) return existing
  const failures = counterOf(registry, 'shop_metric_read_failures_total', 'Scrape-time reads of a business metric that failed (the gauge kept its last value)', ['metric'])
  return new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      try {
        await read(this)
      } catch {
        failures.inc({ metric: name })
      }
    },
  })
}

export type { Counter, Histogram } from 'prom-client'
/** A process's registry (the runtime makes one; a test may too). */
export { Registry } from 'prom-client'
