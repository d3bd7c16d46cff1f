/**
 * The shop's health for the owner's console (`GET /api/admin/system`): each queue's jobs
 * (waiting, active, delayed, failed), the workers connected to it and the messages its consumer
 * dead-lettered, and which processes answer ready. One call instead of the console knowing every service's address.
 */
import type { Queue } from 'bullmq'
import { Elysia, t } from 'elysia'
import { authPlugin, type TokenVerifier } from '@shop/shared/http/auth'
import { QUEUES } from '@shop/shared/domain/contracts'
import { Problem } from '@shop/shared/http/errors'
import type { ReadinessChecks } from '@shop/shared/http/observability'
import type { ServiceName } from '../proxy/routes-table.ts'

/** The services whose workers consume a queue, and so keep dead letters. */
const CONSUMERS: ServiceName[] = ['payments', 'orders', 'catalog', 'reviews']

export const SystemStatus = t.Object({
  checkedAt: t.String({ format: 'date-time' }),
  queues: t.Array(
    t.Object({
      name: t.String(),
      waiting: t.Integer(),
      active: t.Integer(),
      delayed: t.Integer(),
      failed: t.Integer(),
      /** Workers connected to it now (BullMQ's named connections): 0 means nothing takes its jobs. */
      workers: t.Integer(),
      /** Messages its consumer gave up on (`dead_letters`); null when that service did not answer. */
      deadLetters: t.Union([t.Integer(), t.Null()]),
    }),
  ),
  processes: t.Array(t.Object({ name: t.String(), ready: t.Boolean(), detail: t.Union([t.String(), t.Null()]) })),
})
export type SystemStatus = typeof SystemStatus.static

export interface SystemOptions {
  /** The gateway's queue handles (shared with Bull Board). */
  queues: Queue[]
  verifier: TokenVerifier
  services: ServiceName[]
  /** An instance of the service to ask (its dead letters are the service's, whichever answers). */
  urlOf: (name: ServiceName) => string
  /** The gateway's own `/ready` checks, by name: Redis, and each upstream service's `/ready`. */
  checks: ReadinessChecks
}

const TIMEOUT_MS = 3000

export function systemRoutes(options: SystemOptions) {
  const upstreams = options.services

  /** Dead letters per queue from every consumer, or null for a queue whose service did not answer. */
  async function deadLetters(authorization: string): Promise<Map<string, number | null>> {
    const counts = new Map<string, number | null>(QUEUES.map((q) => [q, 0]))
    await Promise.all(
      CONSUMERS.map(async (service) => {
        try {
          const res = await fetch(new URL('/internal/dead-letters', options.urlOf(service)), { headers: { authorization }, signal: AbortSignal.timeout(TIMEOUT_MS) })
          if (!res.ok) throw new Error(String(res.status))
          for (const item of ((await res.json()) as { items: { queue: string; count: number }[] }).items) {
            const now = counts.get(item.queue)
            counts.set(item.queue, now === null ? null : (now ?? 0) + item.count)
          }
        } catch {
          // Each consumer's queue bears its name.
          counts.set(service, null)
        }
      }),
    )
    return counts
  }

  /** A process and whether its checks pass (the first failure's words otherwise). */
  async function ready(name: string, checks: (() => Promise<unknown>)[]) {
    try {
      for (const check of checks) await check()
      return { name, ready: true, detail: null }
    } catch (error) {
      return { name, ready: false, detail: (error as Error).message || 'not ready' }
    }
  }

  return new Elysia({ name: 'gateway.system' })
    .use(authPlugin(options.verifier))
    .get(
      '/api/admin/system',
      async ({ headers }): Promise<SystemStatus> => {
        const [dead, queueRows, processes] = await Promise.all([
          deadLetters(headers.authorization!),
          Promise.all(
            options.queues.map(async (queue) => {
              const name = queue.name
              const [counts, workers] = await Promise.all([queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children'), queue.getWorkersCount()])
              return { name, workers, waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts['waiting-children'] ?? 0), active: counts.active ?? 0, delayed: counts.delayed ?? 0, failed: counts.failed ?? 0 }
            }),
          ),
          // The same checks as the gateway's /ready: its own (Redis) as "gateway", then each service's.
          Promise.all([
            ready('gateway', Object.entries(options.checks).flatMap(([name, check]) => (upstreams.includes(name as ServiceName) ? [] : [check]))),
            ...upstreams.map((name) => ready(name, [options.checks[name]!])),
          ]),
        ])
        return {
          checkedAt: new Date().toISOString(),
          queues: queueRows.map((q) => ({ ...q, deadLetters: dead.get(q.name) ?? null })),
          processes,
        }
      },
      {
        auth: 'admin',
        response: { 200: SystemStatus, 401: Problem, 403: Problem, 503: Problem },
        detail: {
          tags: ['admin'],
          summary: "Admin: each queue's waiting, active, delayed and failed jobs with its dead letters, and which processes answer ready",
        },
      },
    )
}
