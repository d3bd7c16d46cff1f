import type { Db } from '@shop/shared/data/db'

export interface WalletRow {
  id: string
  userId: string
  currency: string
  balance: number
  createdAt: Date
}

export interface LedgerRow {
  id: string
  walletId: string
  kind: 'deposit' | 'payment' | 'refund'
  amount: number
  balanceAfter: number
  orderId: string | null
  createdAt: Date
  currency: string
}

export async function findByUser(db: Db, userId: string): Promise<WalletRow | undefined> {
  const [row] = await db<WalletRow[]>`select * from wallets where user_id = ${userId}`
  return row
}

/** The user's wallet, locked until the transaction ends: every balance change goes through here. */
export async function lockByUser(db: Db, userId: string): Promise<WalletRow | undefined> {
  const [row] = await db<WalletRow[]>`select * from wallets where user_id = ${userId} for update`
  return row
}

/** Inserts the wallet unless the user has one; undefined when they do. */
export async function insert(db: Db, wallet: { id: string; userId: string; currency: string }): Promise<WalletRow | undefined> {
  const [row] = await db<WalletRow[]>`
    insert into wallets (id, user_id, currency) values (${wallet.id}, ${wallet.userId}, ${wallet.currency})
    on conflict (user_id) do nothing
    returning *`
  return row
}

/**
 * Moves the balance by `delta` (signed) and appends the ledger entry in the same transaction.
 * The balance CHECK makes a debit below zero fail even if a caller forgot to check.
 */
export async function book(
  db: Db,
  entry: { id?: string; walletId: string; kind: LedgerRow['kind']; delta: number; orderId?: string; depositKey?: string },
): Promise<LedgerRow> {
  // One statement: the balance moves and the entry that records it is appended.
  const [row] = await db<LedgerRow[]>`
    with wallet as (
      update wallets set balance = balance + ${entry.delta}, updated_at = now()
      where id = ${entry.walletId}
      returning balance, currency
    )
    insert into ledger_entries (id, wallet_id, kind, amount, balance_after, order_id, deposit_key)
    select ${entry.id ?? Bun.randomUUIDv7()}, ${entry.walletId}, ${entry.kind}, ${entry.delta}, wallet.balance,
           ${entry.orderId ?? null}, ${entry.depositKey ?? null}
    from wallet
    returning *, (select currency from wallet) as currency`
  if (!row) throw new Error(`wallet ${entry.walletId} vanished inside its transaction`)
  return row
}

export async function findDeposit(db: Db, walletId: string, depositKey: string): Promise<LedgerRow | undefined> {
  const [row] = await db<LedgerRow[]>`
    select l.*, w.currency from ledger_entries l join wallets w on w.id = l.wallet_id
    where l.wallet_id = ${walletId} and l.deposit_key = ${depositKey}`
  return row
}

/** A page of a wallet's entries, newest first (ids are UUIDv7, so id order is time order). */
export async function listEntries(db: Db, walletId: string, limit: number, before?: string): Promise<LedgerRow[]> {
  return db<LedgerRow[]>`
    select l.*, w.currency from ledger_entries l join wallets w on w.id = l.wallet_id
    where l.wallet_id = ${walletId} ${before ? db`and l.id < ${before}` : db``}
    order by l.id desc
    limit ${limit}`
}
