import { AppError, ConflictError, ValidationFailedError } from '@shop/shared/http/errors'
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { decodeCursor, pageLimit, toPage } from '@shop/shared/http/pagination'
import type { LedgerEntry, Wallet } from './model.ts'
import * as repo from './repository.ts'

export class NoWalletError extends AppError<'no_wallet'> {
  constructor() {
    super(404, 'no_wallet', 'You have no wallet yet; create one with POST /api/wallet')
  }
}

export class DepositsDisabledError extends AppError<'deposits_disabled'> {
  constructor(provider: string) {
    super(403, 'deposits_disabled', `Money comes in through the payment provider (${provider}): use POST /api/wallet/top-ups`)
  }
}

/** How money comes in, as the app needs to know it before a top-up (the provider's form, its key). */
export interface MoneyIn {
  provider: 'demo' | 'stripe'
  publishableKey: string | null
}

const DEMO: MoneyIn = { provider: 'demo', publishableKey: null }

export function toWallet(row: repo.WalletRow, maxDeposit: number, moneyIn: MoneyIn = DEMO): Wallet {
  return {
    id: row.id,
    currency: row.currency,
    balance: row.balance,
    available: row.balance,
    maxDeposit,
    topUpProvider: moneyIn.provider,
    stripePublishableKey: moneyIn.publishableKey,
    createdAt: row.createdAt.toISOString(),
  }
}

export function toEntry(row: repo.LedgerRow): LedgerEntry {
  return {
    id: row.id,
    walletId: row.walletId,
    kind: row.kind,
    amount: row.amount,
    currency: row.currency,
    balanceAfter: row.balanceAfter,
    orderId: row.orderId,
    createdAt: row.createdAt.toISOString(),
  }
}

const isUuid = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v)

export function createWalletsService(deps: { sql: Sql; log: Logger; currencies: string[]; maxDeposit: number; moneyIn?: MoneyIn }) {
  const moneyIn = deps.moneyIn ?? DEMO
  const { sql, log } = deps

  async function requireWallet(userId: string): Promise<repo.WalletRow> {
    const wallet = await repo.findByUser(sql, userId)
    if (!wallet) throw new NoWalletError()
    return wallet
  }

  return {
    async create(userId: string, currency: string): Promise<Wallet> {
      if (!deps.currencies.includes(currency))
        throw new ValidationFailedError(`currency: ${currency} is not supported`, [
          { field: 'currency', message: `must be one of ${deps.currencies.join(', ')}` },
        ])
      const row = await repo.insert(sql, { id: Bun.randomUUIDv7(), userId, currency })
      if (!row) throw new ConflictError('You already have a wallet', 'wallet_exists')
      log.info('wallet created', { userId, walletId: row.id, currency })
      return toWallet(row, deps.maxDeposit, moneyIn)
    },

    async get(userId: string): Promise<Wallet> {
      return toWallet(await requireWallet(userId), deps.maxDeposit, moneyIn)
    },

    /**
     * Credits `amount` once per Idempotency-Key: the key is stored on the ledger entry under a
     * unique constraint, so even a retry whose idempotency record was lost books nothing twice.
     * Demo money only: with a real provider, money comes in through it (top-ups) and nowhere else.
     */
    async deposit(userId: string, amount: number, key: string): Promise<LedgerEntry> {
      if (moneyIn.provider !== 'demo') throw new DepositsDisabledError(moneyIn.provider)
      const entry = await sql.begin(async (tx) => {
        const wallet = await repo.lockByUser(tx, userId)
        if (!wallet) throw new NoWalletError()
        const existing = await repo.findDeposit(tx, wallet.id, key)
        if (existing) {
          if (existing.amount !== amount)
            throw new ConflictError('This Idempotency-Key already booked a deposit of another amount', 'idempotency_key_reused')
          return existing
        }
        return repo.book(tx, { walletId: wallet.id, kind: 'deposit', delta: amount, depositKey: key })
      })
      log.info('deposit booked', { userId, walletId: entry.walletId, amount, entryId: entry.id })
      return toEntry(entry)
    },

    async transactions(userId: string, requestedLimit: number | undefined, cursor: string | undefined) {
      const limit = pageLimit(requestedLimit)
      const before = decodeCursor(cursor, isUuid)
      const wallet = await requireWallet(userId)
      const rows = await repo.listEntries(sql, wallet.id, limit + 1, before)
      return toPage(rows, limit, toEntry, (row) => row.id)
    },
  }
}

export type WalletsService = ReturnType<typeof createWalletsService>
