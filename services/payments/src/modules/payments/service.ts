/**
 * Taking and giving back an order's payment. Each function runs inside the consumer's
 * transaction (inbox insert included), locks the wallet row first so concurrent payments of one
 * user are serialised, decides once per order (the `payments` row), books through the ledger and
 * writes its outcome to the outbox. A repeated request for a decided order reports the same
 * outcome again and moves no money.
 */
import { UnrecoverableError } from 'bullmq'
import type { EventEnvelope } from '@shop/shared/contracts'
import type { Tx } from '@shop/shared/db'
import type { Logger } from '@shop/shared/logger'
import { publish } from '@shop/shared/outbox'
import * as wallets from '../wallets/repository.ts'
import * as payments from './repository.ts'

export interface ProcessingDeps {
  schema: string
  log: Logger
}

async function reportOutcome(tx: Tx, deps: ProcessingDeps, payment: payments.PaymentRow): Promise<void> {
  const base = { orderId: payment.orderId, userId: payment.userId, amount: payment.amount, currency: payment.currency }
  if (payment.status === 'declined')
    await publish(tx, 'payment.declined', { ...base, reason: payment.declineReason! })
  else await publish(tx, 'payment.succeeded', { ...base, paymentId: payment.id, ledgerEntryId: payment.paymentEntry! })
}

export async function takePayment(tx: Tx, deps: ProcessingDeps, event: EventEnvelope<'payment.requested'>): Promise<void> {
  const { orderId, userId, amount, currency } = event.payload
  // Sent together; the wallet row lock serialises this user's payments.
  const [wallet, existing] = await Promise.all([wallets.lockByUser(tx, userId), payments.lockByOrder(tx, orderId)])
  if (existing) {
    if (existing.userId !== userId || existing.amount !== amount || existing.currency !== currency)
      throw new UnrecoverableError(`payment.requested for order ${orderId} disagrees with the payment already decided`)
    deps.log.info('payment already decided; reporting again', { orderId, status: existing.status })
    if (existing.status !== 'refunded') await reportOutcome(tx, deps, existing)
    return
  }

  const reason: payments.DeclineReason | undefined = !wallet
    ? 'no_wallet'
    : wallet.currency !== currency
      ? 'currency_mismatch'
      : wallet.balance < amount
        ? 'insufficient_funds'
        : undefined
  const payment: payments.PaymentRow = {
    id: Bun.randomUUIDv7(),
    orderId,
    userId,
    walletId: wallet?.id ?? null,
    amount,
    currency,
    status: reason ? 'declined' : 'succeeded',
    declineReason: reason ?? null,
    paymentEntry: null,
    refundEntry: null,
  }
  // The entry's id is chosen here, so the booking, the decision and the outcome go out together
  // (the server runs them in this order; the balance was checked under the wallet's lock).
  if (!reason) payment.paymentEntry = Bun.randomUUIDv7()
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
  if (existing.status === 'declined') {
    deps.log.info('refund requested for a declined payment: nothing to give back', { orderId })
    return
  }
  if (amount !== existing.amount || currency !== existing.currency || userId !== existing.userId)
    throw new UnrecoverableError(`Refund of ${amount} ${currency} does not match payment of ${existing.amount} ${existing.currency} for order ${orderId}`)
  const base = { orderId, userId: existing.userId, amount, currency, paymentId: existing.id }
  if (existing.status === 'refunded') {
    await publish(tx, 'payment.refunded', { ...base, ledgerEntryId: existing.refundEntry! })
    return
  }
  const entry = await wallets.book(tx, { walletId: existing.walletId!, kind: 'refund', delta: amount, orderId })
  await payments.markRefunded(tx, existing.id, entry.id)
  await publish(tx, 'payment.refunded', { ...base, ledgerEntryId: entry.id })
  deps.log.info('payment refunded', { orderId, amount, currency })
}
