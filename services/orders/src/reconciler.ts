/**
 * What keeps the saga moving when a message is lost or a process dies. Each pass:
 * - times out orders still NEW after the timeout: cancelled (reason timeout), which releases
 *   their stock and voids their payment (payments refunds it if it was taken, even later);
 * - asks payments again for every answer that is overdue (an order's payment, a void, a refund),
 *   with backoff: Redis may forget a request or an answer after the outbox marked it sent (a
 *   restart without fsync, a failover, a flush), and payments answers a repeat with the decision
 *   it took, moving no money;
 * - releases reservations whose order was never written (a crash between the reservation and the
 *   order's insert; the catalog leaves a tombstone so they cannot come back);
 * - settles reservations the catalog still holds long after their order was decided (the
 *   `order.paid` or `order.cancelled` that would have settled them was lost);
 * - announces deliveries and returns to reviews once more, a timeout after the first.
 * Safe in several worker processes: each order is locked and re-checked in its own transaction.
 * One row that fails (a bug, a poisoned row) is logged and left out of the next passes for a
 * while; it never holds the others back.
 */
import type { Sql } from '@shop/shared/data/db'
import { inSpan } from '@shop/shared/runtime/tracing'
import type { Counter } from '@shop/shared/runtime/metrics'
import type { Logger } from '@shop/shared/runtime/logger'
import type { OutboxDispatcher } from '@shop/shared/messaging/outbox-dispatcher'
import type { CatalogClient } from './catalog-client.ts'
import * as repo from './modules/orders/repository.ts'
import { announceAgain, applyEvent, askAgain } from './modules/orders/service.ts'
import { IllegalTransitionError, type Status } from './modules/orders/state.ts'

/** Rows that failed, left out of the passes until their time is up. */
export class Quarantine {
  private readonly until = new Map<string, number>()

  constructor(private readonly forMs = 10 * 60_000) {}

  add(id: string): void {
    this.until.set(id, Date.now() + this.forMs)
  }

  /** The ids still quarantined. */
  ids(): string[] {
    const now = Date.now()
    for (const [id, until] of this.until) if (until <= now) this.until.delete(id)
    return [...this.until.keys()]
  }

  has(id: string): boolean {
    return (this.until.get(id) ?? 0) > Date.now()
  }
}

export interface ReconcilerDeps {
  sql: Sql
  schema: string
  log: Logger
  catalog: CatalogClient
  timeoutSeconds: number
  /** Payments is asked again this long after it was last asked, doubling each time up to `reaskMaxSeconds`. */
  reaskSeconds: number
  reaskMaxSeconds: number
  dispatcher: OutboxDispatcher
  quarantine: Quarantine
  /** What it did, by action ('timeout', 'asking payments again'...) and outcome (the process's registry). */
  actions?: Counter<'action' | 'outcome'>
}

/** What a pass may do to an order (the `action` label of shop_reconciler_actions_total). */
export const RECONCILER_ACTIONS = ['timeout', 'asking payments again', 'intent release', 'stock settlement', 'stock give-back'] as const

/** The most rows of each kind one pass takes. */
const BATCH = 200

/** Runs `work` for each id; a failure is logged and quarantined. Returns how many `work` counted. */
async function eachIsolated(deps: ReconcilerDeps, what: (typeof RECONCILER_ACTIONS)[number], ids: string[], work: (id: string) => Promise<boolean>): Promise<number> {
  let counted = 0
  for (const id of ids) {
    try {
      // A span per order acted on (when tracing is on), so the repairs show beside the requests.
      if (await inSpan(`reconcile ${what}`, { attributes: { 'shop.order_id': id } }, () => work(id))) {
        counted++
        deps.actions?.inc({ action: what, outcome: 'done' })
      }
    } catch (error) {
      deps.actions?.inc({ action: what, outcome: 'failed' })
      deps.quarantine.add(id)
      deps.log.error(`reconciler: ${what} failed; left out of the next passes for a while`, { orderId: id, error: (error as Error).message })
    }
  }
  return counted
}

async function timeOut(deps: ReconcilerDeps): Promise<number> {
  const stale = await repo.staleNew(deps.sql, deps.timeoutSeconds, BATCH, deps.quarantine.ids())
  return eachIsolated(deps, 'timeout', stale.map((r) => r.id), async (id) => {
    try {
      const order = await deps.dispatcher.transaction(deps.sql, (tx) => applyEvent(tx, deps, id, { type: 'cancel', reason: 'timeout' }))
      return order?.status === 'CANCELLED'
    } catch (error) {
      // Paid a moment ago: no longer NEW, nothing to do.
      if (error instanceof IllegalTransitionError) return false
      throw error
    }
  })
}

async function askOverdue(deps: ReconcilerDeps): Promise<number> {
  const backoff = { firstSeconds: deps.reaskSeconds, maxSeconds: deps.reaskMaxSeconds }
  const due = await repo.overdue(deps.sql, backoff.firstSeconds, backoff.maxSeconds, BATCH, deps.quarantine.ids())
  return eachIsolated(deps, 'asking payments again', due.map((r) => r.id), async (id) => {
    const asked = await deps.dispatcher.transaction(deps.sql, (tx) => askAgain(tx, id, backoff))
    if (asked) deps.log.warn('answer from payments overdue: asked again', { orderId: id, awaiting: asked })
    return asked !== null
  })
}

async function releaseOrphanedIntents(deps: ReconcilerDeps): Promise<number> {
  const intents = await repo.staleIntents(deps.sql, deps.timeoutSeconds, BATCH, deps.quarantine.ids())
  return eachIsolated(deps, 'intent release', intents.map((i) => i.orderId), async (orderId) => {
    await deps.catalog.release(orderId)
    await repo.deleteIntent(deps.sql, orderId)
    deps.log.info('orphaned reservation released', { orderId })
    return true
  })
}

/** The statuses of an order that keeps its goods. */
const SOLD = new Set<Status>(['PAID', 'SHIPPED', 'DELIVERED', 'RETURN_REQUESTED'])

/**
 * Reservations still reserved a timeout after they were made: their order is decided by now (a
 * NEW one is timed out first), so the event that would have settled them was lost. Committed for
 * an order that keeps its goods, released otherwise; an order still being created is left to its intent.
 */
async function settleStock(deps: ReconcilerDeps): Promise<number> {
  const skip = new Set(deps.quarantine.ids())
  const ids = (await deps.catalog.staleReservations(deps.timeoutSeconds, BATCH)).filter((id) => !skip.has(id))
  if (ids.length === 0) return 0
  const [fates, intents] = await Promise.all([repo.fates(deps.sql, ids), repo.intentsOf(deps.sql, ids)])
  const fateOf = new Map(fates.map((f) => [f.id, f]))
  const creating = new Set(intents)
  return eachIsolated(deps, 'stock settlement', ids, async (orderId) => {
    const fate = fateOf.get(orderId)
    if (fate?.status === 'NEW' || (!fate && creating.has(orderId))) return false
    // Sold while the order keeps its goods; a cancelled or returned order gives them back, paid or
    // not (the catalog restocks a committed reservation on order.cancelled / order.returned).
    const sold = !!fate && SOLD.has(fate.status)
    if (sold) await deps.catalog.commit(orderId)
    else await deps.catalog.release(orderId)
    deps.log.warn('reservation settled by the reconciler (its event was lost)', { orderId, status: fate?.status ?? 'no order', move: sold ? 'commit' : 'release' })
    return true
  })
}

/**
 * Paid orders cancelled or returned whose give-back of goods is not confirmed a timeout later:
 * their order.cancelled / order.returned may have been lost after the outbox sent it. The catalog
 * is asked directly (it gives back once, whoever asks first) and the order marks it confirmed.
 */
async function giveBackStock(deps: ReconcilerDeps): Promise<number> {
  const due = await repo.restocksOverdue(deps.sql, deps.timeoutSeconds, BATCH, deps.quarantine.ids())
  const statusOf = new Map(due.map((d) => [d.id, d.status]))
  return eachIsolated(deps, 'stock give-back', [...statusOf.keys()], async (orderId) => {
    await deps.catalog.giveBack(orderId, statusOf.get(orderId) === 'RETURNED' ? 'returned' : 'cancelled')
    await repo.confirmRestock(deps.sql, orderId)
    return true
  })
}

/**
 * Deliveries and returns announced to reviews a timeout ago: published once more (Redis may have
 * lost the first after the outbox sent it; reviews records each once), and the row taken.
 */
async function announceAgainDue(deps: ReconcilerDeps): Promise<number> {
  const due = await repo.dueAnnouncements(deps.sql, deps.timeoutSeconds, BATCH, deps.quarantine.ids())
  let sent = 0
  for (const { orderId, event } of due) {
    try {
      const done = await deps.dispatcher.transaction(deps.sql, async (tx) => (await repo.takeAnnouncement(tx, orderId, event)) && announceAgain(tx, orderId, event))
      if (done) sent++
    } catch (error) {
      deps.quarantine.add(orderId)
      deps.log.error('reconciler: announcing again failed; left out of the next passes for a while', { orderId, event, error: (error as Error).message })
    }
  }
  return sent
}

/** One pass; returns how many orders, requests and reservations it settled or repeated. */
export async function reconcile(deps: ReconcilerDeps): Promise<number> {
  let settled = await timeOut(deps)
  settled += await askOverdue(deps)
  settled += await releaseOrphanedIntents(deps)
  settled += await announceAgainDue(deps)
  // The catalog may be down: the rest of the pass has been done, and the next pass tries again.
  settled += await giveBackStock(deps).catch((error) => {
    deps.log.warn('reconciler: stock give-backs could not be confirmed', { error: (error as Error).message })
    return 0
  })
  settled += await settleStock(deps).catch((error) => {
    deps.log.warn('reconciler: reservations could not be listed', { error: (error as Error).message })
    return 0
  })
  return settled
}
