/**
 * Wallet top-ups through the configured provider. A top-up is a row first (found again by the
 * caller's Idempotency-Key), then the provider's object (made with a key derived from the row, so
 * never twice), and is credited only on the provider's word: the demo provider's at once, Stripe's
 * through a signed webhook or the recheck that asks it. Every report is judged by `rules.ts` and
 * carried out in one transaction with the ledger entry and the `top-up.changed` event.
 */
import { AppError, ConflictError, NotFoundError } from '@shop/shared/http/errors'
import type { Sql, Tx } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { counterOf, type Registry } from '@shop/shared/runtime/metrics'
import { publish } from '@shop/shared/messaging/outbox'
import { NoWalletError } from '../wallets/service.ts'
import * as wallets from '../wallets/repository.ts'
import type { TopUp } from './model.ts'
import { InvalidSignatureError, ProviderRefusedError, type PaymentProvider } from './provider.ts'
import * as repo from './repository.ts'
import { decideTopUp, type ProviderReport } from './rules.ts'

export class ProviderUnavailableProblem extends AppError<'provider_unavailable'> {
  constructor(detail: string) {
    super(502, 'provider_unavailable', `The payment provider could not be reached (${detail}); nothing was charged. Retry with the same Idempotency-Key.`)
  }
}

export class ProviderRefusedProblem extends AppError<'provider_refused'> {
  constructor(detail: string) {
    super(422, 'provider_refused', `The payment provider refused this top-up: ${detail}`)
  }
}

export class InvalidSignatureProblem extends AppError<'invalid_signature'> {
  constructor(detail: string) {
    super(400, 'invalid_signature', `The webhook's signature does not verify: ${detail}`)
  }
}

/** The ledger entry's deposit key of a top-up's credit: unique per wallet, so a credit is booked once. */
export const creditKey = (topUpId: string) => `top-up:${topUpId}`

export function toTopUp(row: repo.TopUpRow): TopUp {
  const payable = row.status === 'pending' || row.status === 'failed'
  return {
    id: row.id,
    amount: row.amount,
    currency: row.currency,
    status: row.status,
    provider: row.provider,
    demo: row.provider === 'demo',
    ...(payable && row.clientSecret ? { clientSecret: row.clientSecret } : {}),
    failureReason: row.failureReason,
    ledgerEntryId: row.ledgerEntry,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

export interface TopUpsDeps {
  sql: Sql
  log: Logger
  /** Where new top-ups go (PAYMENT_PROVIDER). */
  provider: PaymentProvider
  /** Every provider the shop has keys for: a top-up is settled by the one it was made with, even after a switch. */
  providers?: PaymentProvider[]
  /** The process's registry: `shop_top_up_mismatches_total` counts reports of another amount (alert on any). */
  registry?: Registry
  /** Runs a transaction whose outbox events go out as it commits (the API's dispatcher); plain `sql.begin` otherwise. */
  transaction?: <T>(work: (tx: Tx) => Promise<T>) => Promise<T>
  /** The recheck's first wait (TOP_UP_RECHECK_SECONDS) and when an unpaid top-up is cancelled (TOP_UP_EXPIRY_HOURS). */
  recheckSeconds?: number
  expiryHours?: number
}

export function createTopUpsService(deps: TopUpsDeps) {
  const { sql, log, provider } = deps
  const mismatches =
    deps.registry &&
    counterOf(deps.registry, 'shop_top_up_mismatches_total', 'Provider reports of a payment of another amount or currency than the top-up: not credited, a person must look', ['provider'])
  const providers = new Map([...(deps.providers ?? []), provider].map((p) => [p.name, p]))
  /** The provider a top-up was made with; a missing one (its keys removed) cannot settle it. */
  const providerOf = (row: repo.TopUpRow) => {
    const found = providers.get(row.provider)
    if (!found) throw new ProviderUnavailableProblem(`the top-up was made with ${row.provider}, whose keys this shop no longer has`)
    return found
  }
  /** Cancels `row` here without asking anyone: it never reached a provider, so nothing can have been paid. */
  const cancelLocally = (row: repo.TopUpRow, reason: string, source: string) =>
    transaction(async (tx) => {
      const locked = await repo.lockById(tx, row.id)
      if (locked?.status !== 'pending' || locked.providerRef) return locked
      return apply(tx, locked, { ref: '', status: 'canceled', amountReceivedMinor: 0, currency: row.currency, reason }, source)
    })
  const transaction = deps.transaction ?? (<T>(work: (tx: Tx) => Promise<T>) => sql.begin(work) as Promise<T>)

  /** Carries out what the rules say about `report` for the locked `row`; returns the row as it now is. */
  async function apply(tx: Tx, row: repo.TopUpRow, report: ProviderReport, source: string): Promise<repo.TopUpRow> {
    // A report about another object than the one this top-up started (a stranger's intent naming our id): nothing moves.
    if (row.providerRef && report.ref && report.ref !== row.providerRef) {
      log.warn('report about another provider object than the top-up\'s; ignored', { topUpId: row.id, ref: report.ref, expected: row.providerRef, source })
      return row
    }
    const verdict = decideTopUp({ status: row.status, amountMinor: row.amount, currency: row.currency }, report)
    const event = (status: 'succeeded' | 'failed' | 'canceled') =>
      publish(tx, 'top-up.changed', { topUpId: row.id, userId: row.userId, amount: row.amount, currency: row.currency, status, demo: row.provider === 'demo' })
    switch (verdict.action) {
      case 'credit': {
        const entry = await wallets.book(tx, { walletId: row.walletId, kind: 'deposit', delta: row.amount, depositKey: creditKey(row.id) })
        const [credited] = await Promise.all([repo.markCredited(tx, row.id, entry.id, report.ref), event('succeeded')])
        log.info('top-up credited', { topUpId: row.id, userId: row.userId, amount: row.amount, currency: row.currency, provider: row.provider, source, entryId: entry.id })
        return credited
      }
      case 'mark': {
        const [marked] = await Promise.all([repo.mark(tx, row.id, verdict.status, verdict.reason), event(verdict.status)])
        log.info(`top-up ${verdict.status}`, { topUpId: row.id, userId: row.userId, reason: verdict.reason, source })
        return marked
      }
      case 'mismatch':
        // Left unsettled on purpose: a person looks (docs/payments.md); the recheck repeats this line, less and less often.
        log.error('top-up NOT credited: the provider reports another amount', { topUpId: row.id, why: verdict.why, source })
        mismatches?.inc({ provider: row.provider })
        return row
      case 'ignore':
        return row
    }
  }

  /** Starts the provider's side of `row` and applies what it says at once (the demo provider: credited). */
  async function start(row: repo.TopUpRow): Promise<repo.TopUpRow> {
    // Demo money is only ever given while the shop runs on demo: a demo top-up left unstarted by a crash is not paid out by a Stripe shop.
    if (row.provider === 'demo' && provider.name !== 'demo') {
      await cancelLocally(row, 'the shop takes card payments now; demo top-ups are closed', 'start')
      throw new ProviderRefusedProblem('the shop takes card payments now; demo top-ups are closed')
    }
    const rowProvider = providerOf(row)
    let started
    try {
      started = await rowProvider.start({ id: row.id, userId: row.userId, amountMinor: row.amount, currency: row.currency })
    } catch (error) {
      if (error instanceof ProviderRefusedError) {
        // Nothing can ever pay it: cancelled, with the provider's words, and the caller is told why.
        await transaction(async (tx) => {
          const locked = await repo.lockById(tx, row.id)
          if (locked?.status === 'pending') await apply(tx, locked, { ref: '', status: 'canceled', amountReceivedMinor: 0, currency: row.currency, reason: error.message }, 'start')
        })
        throw new ProviderRefusedProblem(error.message)
      }
      log.warn('top-up could not start at the provider', { topUpId: row.id, error: (error as Error).message })
      throw new ProviderUnavailableProblem((error as Error).message)
    }
    return transaction(async (tx) => {
      const locked = await repo.lockById(tx, row.id)
      if (!locked) throw new Error(`top-up ${row.id} vanished`)
      const attached = await repo.attach(tx, row.id, started.ref, started.clientSecret)
      return apply(tx, attached, started.report, 'start')
    })
  }

  return {
    /** Creates (or, for a repeated Idempotency-Key, finds) the caller's top-up and starts it at the provider. */
    async create(userId: string, amountMinor: number, key: string): Promise<TopUp> {
      const row = await sql.begin(async (tx) => {
        const existing = await repo.findByKey(tx, userId, key)
        if (existing) {
          if (existing.amount !== amountMinor)
            throw new ConflictError('This Idempotency-Key already started a top-up of another amount', 'idempotency_key_reused')
          return existing
        }
        const wallet = await wallets.findByUser(tx, userId)
        if (!wallet) throw new NoWalletError()
        const inserted = await repo.insertPending(tx, { id: Bun.randomUUIDv7(), userId, walletId: wallet.id, amount: amountMinor, currency: wallet.currency, provider: provider.name, idempotencyKey: key })
        // A concurrent request with the same key inserted first: that one is ours too.
        return inserted ?? (await repo.findByKey(tx, userId, key))!
      })
      if (row.providerRef || row.status !== 'pending') return toTopUp(row)
      return toTopUp(await start(row))
    },

    async get(userId: string, id: string): Promise<TopUp> {
      const row = await repo.findForUser(sql, userId, id)
      if (!row) throw new NotFoundError('No such top-up of yours')
      return toTopUp(row)
    },

    /**
     * A provider's webhook: verified over the raw body, recorded in the provider inbox and applied in
     * one transaction. A repeat (Stripe delivers at least once, and retries for days) finds its
     * event id recorded and changes nothing; 50 copies at once wait on the first one's row.
     */
    async receive(providerName: string, rawBody: string, headers: Headers): Promise<{ received: true; duplicate: boolean }> {
      const from = providerName === 'demo' ? undefined : providers.get(providerName as repo.TopUpRow['provider'])
      if (!from) throw new AppError(404, 'unknown_provider', `This shop takes no webhooks from "${providerName}" (its provider is ${provider.name})`)
      let note
      try {
        note = await from.verify(rawBody, headers)
      } catch (error) {
        if (error instanceof InvalidSignatureError) {
          log.warn('webhook refused: bad signature', { provider: providerName, error: error.message })
          throw new InvalidSignatureProblem(error.message)
        }
        throw error
      }
      return transaction(async (tx) => {
        if (!(await repo.recordEvent(tx, from.name, note.eventId, note.type))) return { received: true as const, duplicate: true }
        if (note.report) {
          const row = await repo.lockForReport(tx, from.name, note.report.ref, note.topUpId)
          if (row) await apply(tx, row, note.report, `webhook ${note.type}`)
          else log.warn('webhook about no top-up of this shop', { provider: providerName, eventId: note.eventId, ref: note.report.ref })
        }
        return { received: true as const, duplicate: false }
      })
    },

    /**
     * Asks the provider about unsettled top-ups whose wait is over (a webhook may never come: a
     * misconfigured endpoint, an outage longer than the provider retries), and cancels those older
     * than the expiry so an abandoned one cannot be paid later. Returns how many changed.
     */
    async recheck(limit = 50): Promise<number> {
      const due = await repo.claimDue(sql, deps.recheckSeconds ?? 300, limit)
      let changed = 0
      for (const row of due) {
        try {
          const expired = Date.now() - row.createdAt.getTime() > (deps.expiryHours ?? 24) * 3600_000
          let ref = row.providerRef
          if (!ref && expired) {
            // Never reached the provider and past its time: nobody can have paid it; closed here, no new object made.
            const after = await cancelLocally(row, 'expired before it reached the payment provider', 'expiry')
            if (after?.status === 'canceled') changed++
            continue
          }
          // Never reached the provider (it was down when the customer asked): start it now, the same object if it was made.
          if (!ref) ref = (await start(row)).providerRef
          if (!ref) continue
          const at = providerOf(row)
          const report = expired ? await at.cancel(ref) : await at.lookup(ref)
          const after = await transaction(async (tx) => {
            const locked = await repo.lockById(tx, row.id)
            return locked ? apply(tx, locked, report, expired ? 'expiry' : 'recheck') : undefined
          })
          if (after && after.status !== row.status) changed++
        } catch (error) {
          log.warn('top-up recheck failed', { topUpId: row.id, error: (error as Error).message })
        }
      }
      return changed
    },
  }
}

export type TopUpsService = ReturnType<typeof createTopUpsService>
