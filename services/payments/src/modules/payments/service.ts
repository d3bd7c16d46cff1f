/**
 * Taking, giving back and voiding an order's payment. Each function runs inside the consumer's
 * transaction (inbox insert included), locks the wallet row first so concurrent payments of one
 * user are serialised, lets the pure rules of `decide.ts` decide (once per order: the `payments`
 * row), books through the ledger and writes its outcome to the outbox. A repeated request for a decided order reports the same
 * outcome again and moves no money: orders asks again whenever an answer is overdue (Redis may
 * have forgotten the request or the answer), so a repeat is the normal way to recover.
 */
import { UnrecoverableError } from 'bullmq'
import type { EventEnvelope } from '@shop/shared/domain/contracts'
import type { Tx } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { publish } from '@shop/shared/messaging/outbox'
import * as wallets from '../wallets/repository.ts'
import { PaymentMismatchError, decide, decideRefund, decideVoid } from './decide.ts'
import * as payments from './repository.ts'

export interface ProcessingDeps {
  schema: string
  log: Logger
}

/** Publishes the decision `payment` records: what a first request, a repeat and a void are answered with. */
async function reportOutcome(tx: Tx, deps: ProcessingDeps, payment: payments.PaymentRow): Promise<void> {
  const base = { orderId: payment.orderId, userId: payment.userId, amount: payment.amount, currency: payment.currency }
  switch (payment.status) {
    case 'declined':
      return void (await publish(tx, 'payment.declined', { ...base, reason: payment.declineReason! }))
    case 'succeeded':
      return void (await publish(tx, 'payment.succeeded', { ...base, paymentId: payment.id, ledgerEntryId: payment.paymentEntry! }))
    case 'refunded':
      return void (await publish(tx, 'payment.refunded', { ...base, paymentId: payment.id, ledgerEntryId: payment.refundEntry! }))
    case 'voided':
      return void (await publish(tx, 'payment.voided', base))
  }
}

/** Credits a taken payment back (the ledger's UNIQUE (order_id, kind) allows it once), marks it refunded and reports it. */
async function giveBack(tx: Tx, deps: ProcessingDeps, taken: payments.PaymentRow): Promise<void> {
  const entry = await wallets.book(tx, { walletId: taken.walletId!, kind: 'refund', delta: taken.amount, orderId: taken.orderId })
  await Promise.all([
    payments.markRefunded(tx, taken.id, entry.id),
    reportOutcome(tx, deps, { ...taken, status: 'refunded', refundEntry: entry.id }),
  ])
}

/** The rules' verdict, carried out: a mismatch is a bug upstream, never retried. */
function ruled<T>(rule: () => T): T {
  try {
    return rule()
  } catch (error) {
    if (error instanceof PaymentMismatchError) throw new UnrecoverableError(error.message)
    throw error
  }
}

export async function takePayment(tx: Tx, deps: ProcessingDeps, event: EventEnvelope<'payment.requested'>): Promise<void> {
  const { orderId, userId, amount, currency } = event.payload
  // Sent together; the wallet row lock serialises this user's payments.
  const [wallet, existing] = await Promise.all([wallets.lockByUser(tx, userId), payments.lockByOrder(tx, orderId)])
  const decision = ruled(() => decide(wallet, existing, event.payload))
  if (decision.kind === 'repeat') {
    // Voided: the order was cancelled first, and this request is refused for good.
    deps.log.info('payment already decided; reporting again', { orderId, status: existing!.status })
    await reportOutcome(tx, deps, existing!)
    return
  }
  const reason = decision.kind === 'decline' ? decision.reason : undefined
  const payment: payments.PaymentRow = {
    id: Bun.randomUUIDv7(),
    orderId,
    userId,
    walletId: wallet?.id ?? null,
    amount,
    currency,
    status: reason ? 'declined' : 'succeeded',
    declineReason: reason ?? null,
    // The entry's id is chosen here, so the booking, the decision and the outcome go out together
    // (the server runs them in this order; the balance was checked under the wallet's lock).
    paymentEntry: reason ? null : Bun.randomUUIDv7(),
    refundEntry: null,
  }
  await Promise.all([
    reason ? undefined : wallets.book(tx, { id: payment.paymentEntry!, walletId: wallet!.id, kind: 'payment', delta: -amount, orderId }),
    payments.insert(tx, payment),
    reportOutcome(tx, deps, payment),
  ])
  deps.log.info(reason ? 'payment declined' : 'payment taken', { orderId, userId, amount, currency, reason })
}

export async function refundPayment(tx: Tx, deps: ProcessingDeps, event: EventEnvelope<'refund.requested'>): Promise<void> {
  const { orderId, userId, amount, currency } = event.payload
  // Wallet first, then payment: the same lock order as takePayment, so the two never deadlock.
  await wallets.lockByUser(tx, userId)
  const existing = await payments.lockByOrder(tx, orderId)
  // Not decided yet (the request may still be queued): fail so BullMQ retries with backoff.
  if (!existing) throw new Error(`No payment for order ${orderId} yet`)
  switch (ruled(() => decideRefund(existing, event.payload))) {
    case 'nothing':
      deps.log.info('refund requested for a payment never taken: nothing to give back', { orderId, status: existing.status })
      return
    case 'repeat':
      return reportOutcome(tx, deps, existing)
    case 'refund':
      await giveBack(tx, deps, existing)
      deps.log.info('payment refunded', { orderId, amount, currency })
  }
}

/**
 * `void.requested`: the order was cancelled before orders knew of a payment. Whatever arrives in
 * whichever order, no money is kept: a payment taken already is refunded (once: the ledger's
 * UNIQUE (order_id, kind) stands behind it), and with no decision yet a `voided` row is written,
 * so a payment request that comes later is refused. Declined or voided already: nothing to give
 * back, and that decision is reported again (orders takes any of them as the void confirmed).
 */
export async function voidPayment(tx: Tx, deps: ProcessingDeps, event: EventEnvelope<'void.requested'>): Promise<void> {
  const { orderId, userId, amount, currency } = event.payload
  // Wallet first, then payment: the same lock order as takePayment and refundPayment.
  await wallets.lockByUser(tx, userId)
  const existing = await payments.lockByOrder(tx, orderId)
  switch (ruled(() => decideVoid(existing, event.payload)).kind) {
    case 'void': {
      const voided: payments.PaymentRow = {
        id: Bun.randomUUIDv7(),
        orderId,
        userId,
        walletId: null,
        amount,
        currency,
        status: 'voided',
        declineReason: null,
        paymentEntry: null,
        refundEntry: null,
      }
      await Promise.all([payments.insert(tx, voided), reportOutcome(tx, deps, voided)])
      deps.log.info('payment voided before any request', { orderId })
      return
    }
    case 'repeat':
      return reportOutcome(tx, deps, existing!)
    case 'refund':
      await giveBack(tx, deps, existing!)
      deps.log.info('payment voided: refunded', { orderId, amount, currency })
  }
}
