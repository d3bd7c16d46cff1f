import { t } from 'elysia'
import { Amount, Currency } from '@shop/shared/domain/money'

export const Wallet = t.Object({
  id: t.String({ format: 'uuid' }),
  currency: t.String(),
  /** Integer minor units. */
  balance: t.Integer(),
  /** What can be spent now: the balance less funds on hold (no flow holds funds today). */
  available: t.Integer(),
  /** The largest single top-up (MAX_DEPOSIT), in minor units: a form can say so before sending. */
  maxDeposit: t.Integer(),
  /** Where top-ups go (POST /api/wallet/top-ups): `demo` credits at once with no real money; `stripe` takes a card in Stripe's form. */
  topUpProvider: t.Union([t.Literal('demo'), t.Literal('stripe')]),
  /** The key the app loads Stripe's card form with; null unless the provider is stripe. */
  stripePublishableKey: t.Union([t.String(), t.Null()]),
  createdAt: t.String({ format: 'date-time' }),
})
export type Wallet = typeof Wallet.static

export const LedgerEntry = t.Object({
  id: t.String({ format: 'uuid' }),
  walletId: t.String({ format: 'uuid' }),
  kind: t.Union([t.Literal('deposit'), t.Literal('payment'), t.Literal('refund')]),
  /** Signed integer minor units: positive credits, negative debits. */
  amount: t.Integer(),
  currency: t.String(),
  balanceAfter: t.Integer(),
  orderId: t.Union([t.String({ format: 'uuid' }), t.Null()]),
  createdAt: t.String({ format: 'date-time' }),
})
export type LedgerEntry = typeof LedgerEntry.static

export const CreateWallet = t.Object(
  { currency: Currency },
  { additionalProperties: false },
)

export function depositBody(maxDeposit: number) {
  return t.Object(
    {
      amount: Amount({ maximum: maxDeposit, error: `must be a whole number of minor units from 1 to ${maxDeposit}` }),
    },
    { additionalProperties: false },
  )
}
