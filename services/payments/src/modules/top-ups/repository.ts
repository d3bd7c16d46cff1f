import type { Db } from '@shop/shared/data/db'
import type { ProviderName } from './provider.ts'
import type { TopUpStatus } from './rules.ts'

export interface TopUpRow {
  id: string
  userId: string
  walletId: string
  amount: number
  currency: string
  provider: ProviderName
  status: TopUpStatus
  idempotencyKey: string
  providerRef: string | null
  clientSecret: string | null
  failureReason: string | null
  ledgerEntry: string | null
  checks: number
  createdAt: Date
  updatedAt: Date
}

export async function findForUser(db: Db, userId: string, id: string): Promise<TopUpRow | undefined> {
  const [row] = await db<TopUpRow[]>`select * from top_ups where id = ${id} and user_id = ${userId}`
  return row
}

export async function findByKey(db: Db, userId: string, key: string): Promise<TopUpRow | undefined> {
  const [row] = await db<TopUpRow[]>`select * from top_ups where user_id = ${userId} and idempotency_key = ${key}`
  return row
}

/** The top-up a notification is about, locked: by the id in the provider object's metadata, else by the object's id. */
export async function lockForReport(db: Db, provider: ProviderName, ref: string, topUpId: string | undefined): Promise<TopUpRow | undefined> {
  if (topUpId && /^[0-9a-f-]{36}$/.test(topUpId)) {
    const [row] = await db<TopUpRow[]>`select * from top_ups where id = ${topUpId} and provider = ${provider} for update`
    if (row) return row
  }
  const [row] = await db<TopUpRow[]>`select * from top_ups where provider = ${provider} and provider_ref = ${ref} for update`
  return row
}

export async function lockById(db: Db, id: string): Promise<TopUpRow | undefined> {
  const [row] = await db<TopUpRow[]>`select * from top_ups where id = ${id} for update`
  return row
}

export async function insertPending(
  db: Db,
  topUp: { id: string; userId: string; walletId: string; amount: number; currency: string; provider: ProviderName; idempotencyKey: string },
): Promise<TopUpRow | undefined> {
  const [row] = await db<TopUpRow[]>`
    insert into top_ups (id, user_id, wallet_id, amount, currency, provider, status, idempotency_key)
    values (${topUp.id}, ${topUp.userId}, ${topUp.walletId}, ${topUp.amount}, ${topUp.currency}, ${topUp.provider}, 'pending', ${topUp.idempotencyKey})
    on conflict (user_id, idempotency_key) do nothing
    returning *`
  return row
}

/** Records the provider's object once (a second start of the same top-up returns the same one). */
export async function attach(db: Db, id: string, ref: string, clientSecret: string | null): Promise<TopUpRow> {
  const [row] = await db<TopUpRow[]>`
    update top_ups set provider_ref = coalesce(provider_ref, ${ref}), client_secret = coalesce(client_secret, ${clientSecret}), updated_at = now()
    where id = ${id}
    returning *`
  return row!
}

export async function markCredited(db: Db, id: string, ledgerEntry: string, ref: string): Promise<TopUpRow> {
  const [row] = await db<TopUpRow[]>`
    update top_ups set status = 'succeeded', ledger_entry = ${ledgerEntry}, failure_reason = null,
      provider_ref = coalesce(provider_ref, ${ref}), updated_at = now()
    where id = ${id}
    returning *`
  return row!
}

export async function mark(db: Db, id: string, status: 'failed' | 'canceled', reason: string | null): Promise<TopUpRow> {
  const [row] = await db<TopUpRow[]>`
    update top_ups set status = ${status}, failure_reason = ${reason?.slice(0, 500) ?? null}, updated_at = now()
    where id = ${id}
    returning *`
  return row!
}

/** Records the provider's event in the inbox; false when it was recorded before (a repeat). */
export async function recordEvent(db: Db, provider: ProviderName, eventId: string, type: string): Promise<boolean> {
  const rows = await db`
    insert into provider_events (provider, event_id, type) values (${provider}, ${eventId}, ${type})
    on conflict do nothing
    returning event_id`
  return rows.length === 1
}

/**
 * Claims up to `limit` unsettled (pending or failed: another card may still pay) top-ups whose recheck is due (their wait doubling with each ask, up
 * to 64×), marking them asked now: another worker skips the rows this one holds, and a claimed
 * row is not due again until its next wait has passed, whatever happens to this pass.
 */
export async function claimDue(db: Db, recheckSeconds: number, limit: number): Promise<TopUpRow[]> {
  return db<TopUpRow[]>`
    with due as (
      select id from top_ups
      where status in ('pending', 'failed') and provider <> 'demo'
        and coalesce(checked_at, created_at) + make_interval(secs => ${recheckSeconds} * power(2, least(checks, 6))) <= now()
      order by created_at
      limit ${limit}
      for update skip locked
    )
    update top_ups t set checked_at = now(), checks = checks + 1
    from due where t.id = due.id
    returning t.*`
}

export async function pruneEvents(db: Db, olderThanDays: number): Promise<number> {
  const rows = await db`delete from provider_events where received_at < now() - make_interval(days => ${olderThanDays}) returning 1`
  return rows.length
}
