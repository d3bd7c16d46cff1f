import type { CancelReason } from './api.ts'

/**
 * Why an order was cancelled, in the customer's words: one entry per reason of the contract
 * (CANCEL_REASONS in shared/src/domain/contracts.ts; tests/reasons.test.ts keeps the two in step, and
 * the desktop's typecheck fails on a reason the orders' schema has and this list does not).
 */
export const CANCEL_REASON_TEXT = {
  insufficient_funds: 'not enough money in the wallet',
  no_wallet: 'no wallet',
  currency_mismatch: 'the wallet is in another currency',
  out_of_stock: 'out of stock',
  user_cancelled: 'cancelled by you',
  timeout: 'payment took too long',
} as const satisfies Record<CancelReason, string>

/** The text for `reason`, or the reason itself for one this build does not know yet. */
export function cancelReasonText(reason: string): string {
  return (CANCEL_REASON_TEXT as Record<string, string>)[reason] ?? reason
}
