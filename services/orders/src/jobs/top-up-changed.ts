/**
 * A wallet top-up settled at payments: orders owns the customer's live stream, so it carries the
 * news there (`event: wallet`) with a NOTIFY in the consumer's transaction (sent at commit, to the
 * streams on every orders instance). Nothing is stored: a client that was away reads its wallet.
 */
import type { Handler } from '@shop/shared/messaging/consumer'
import { walletNotice } from '../modules/orders/repository.ts'

export const topUpChanged = (deps: { schema: string }): Handler<'top-up.changed'> => async (tx, event) => {
  const { userId, topUpId, status, amount, currency, demo } = event.payload
  await walletNotice(tx, deps.schema, userId, { topUpId, status, amount, currency, demo })
}
