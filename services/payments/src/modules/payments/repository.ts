import type { DeclineReason } from '@shop/shared/domain/contracts'
import type { Db } from '@shop/shared/data/db'

export type PaymentStatus = 'succeeded' | 'declined' | 'refunded' | 'voided'
export type { DeclineReason }

export interface PaymentRow {
  id: string
  orderId: string
  userId: string
  walletId: string | null
  amount: number
  currency: string
  status: PaymentStatus
  declineReason: DeclineReason | null
  paymentEntry: string | null
  refundEntry: string | null
}

/** The order's payment, locked until the transaction ends. */
export async function lockByOrder(db: Db, orderId: string): Promise<PaymentRow | undefined> {
  const [row] = await db<PaymentRow[]>`select * from payments where order_id = ${orderId} for update`
  return row
}

export async function insert(db: Db, payment: Omit<PaymentRow, 'refundEntry'>): Promise<void> {
  await db`
    insert into payments (id, order_id, user_id, wallet_id, amount, currency, status, decline_reason, payment_entry)
    values (${payment.id}, ${payment.orderId}, ${payment.userId}, ${payment.walletId}, ${payment.amount},
            ${payment.currency}, ${payment.status}, ${payment.declineReason}, ${payment.paymentEntry})`
}

export async function markRefunded(db: Db, id: string, refundEntry: string): Promise<void> {
  await db`update payments set status = 'refunded', refund_entry = ${refundEntry}, updated_at = now() where id = ${id}`
}
