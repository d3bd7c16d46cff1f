/**
 * What a provider's report does to a top-up: the one home of the rule that credits money in.
 * Pure, beside its table (rules.test.ts); `service.ts` carries the verdict out in one transaction
 * with the ledger entry, and the database's CHECKs (top_ups_credited, the ledger's unique
 * deposit_key) refuse a second credit even if this rule were wrong.
 */

export const TOP_UP_STATUSES = ['pending', 'succeeded', 'failed', 'canceled'] as const
export type TopUpStatus = (typeof TOP_UP_STATUSES)[number]

/** What a provider says about its side of a top-up (a Stripe PaymentIntent, mapped). */
export interface ProviderReport {
  /** The provider's object id (Stripe: `pi_…`). */
  ref: string
  status: TopUpStatus
  /** Minor units the provider says it received (0 until it succeeded). */
  amountReceivedMinor: number
  /** Upper case ISO 4217. */
  currency: string
  /** Why a payment failed or was cancelled, in the provider's words. */
  reason: string | null
}

export type Verdict =
  | { action: 'credit' }
  | { action: 'mark'; status: 'failed' | 'canceled'; reason: string | null }
  | { action: 'ignore'; why: string }
  /** The provider says it took a different amount or currency: nothing is credited, a person must look. */
  | { action: 'mismatch'; why: string }

export function decideTopUp(topUp: { status: TopUpStatus; amountMinor: number; currency: string }, report: ProviderReport): Verdict {
  // Credited once, whatever arrives later (a repeated success, a late failure of an earlier card).
  if (topUp.status === 'succeeded') return { action: 'ignore', why: 'already credited' }
  switch (report.status) {
    case 'succeeded':
      if (report.currency !== topUp.currency || report.amountReceivedMinor !== topUp.amountMinor)
        return {
          action: 'mismatch',
          why: `the provider received ${report.amountReceivedMinor} ${report.currency} for a top-up of ${topUp.amountMinor} ${topUp.currency}`,
        }
      // Money received is credited even after a failure (the customer tried another card) or a
      // cancellation we recorded first: it was taken, so it must not be lost.
      return { action: 'credit' }
    case 'canceled':
      if (topUp.status === 'canceled') return { action: 'ignore', why: 'already canceled' }
      return { action: 'mark', status: 'canceled', reason: report.reason }
    case 'failed':
      // A failure does not end a Stripe payment (another card may follow), but it never undoes a cancel.
      if (topUp.status === 'canceled') return { action: 'ignore', why: 'already canceled' }
      if (topUp.status === 'failed') return { action: 'ignore', why: 'already failed' }
      return { action: 'mark', status: 'failed', reason: report.reason }
    case 'pending':
      return { action: 'ignore', why: 'still pending at the provider' }
  }
}
