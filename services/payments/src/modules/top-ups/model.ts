import { t } from 'elysia'
import { Amount } from '@shop/shared/domain/money'

export const TopUp = t.Object({
  id: t.String({ format: 'uuid' }),
  /** Integer minor units of the wallet's currency. */
  amount: t.Integer(),
  currency: t.String(),
  status: t.Union([t.Literal('pending'), t.Literal('succeeded'), t.Literal('failed'), t.Literal('canceled')], {
    description: 'pending: waiting for the provider; succeeded: the wallet was credited (once); failed: the last card was declined (another may still pay); canceled: it can no longer be paid',
  }),
  provider: t.Union([t.Literal('demo'), t.Literal('stripe')]),
  /** True when no real money moved (the demo provider). */
  demo: t.Boolean(),
  /** The key Stripe's card form confirms the payment with; only while it can still be paid. */
  clientSecret: t.Optional(t.String()),
  /** Why the last attempt failed or why it was cancelled, in the provider's words. */
  failureReason: t.Union([t.String(), t.Null()]),
  /** The ledger entry of the credit, once succeeded. */
  ledgerEntryId: t.Union([t.String({ format: 'uuid' }), t.Null()]),
  createdAt: t.String({ format: 'date-time' }),
  updatedAt: t.String({ format: 'date-time' }),
})
export type TopUp = typeof TopUp.static

export function topUpBody(maxAmount: number) {
  return t.Object(
    { amount: Amount({ maximum: maxAmount, error: `must be a whole number of minor units from 1 to ${maxAmount}` }) },
    { additionalProperties: false },
  )
}

export const WebhookReceipt = t.Object({
  received: t.Literal(true),
  /** True when this event id was handled before: nothing changed this time. */
  duplicate: t.Boolean(),
})
