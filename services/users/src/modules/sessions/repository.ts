import type { Db } from '@shop/shared/data/db'

export interface RefreshTokenRow {
  tokenHash: string
  sessionId: string
  expiresAt: Date
  usedAt: Date | null
  userId: string
  sessionRevokedAt: Date | null
  sessionExpiresAt: Date
}

export async function insertSession(db: Db, session: { id: string; userId: string; expiresAt: Date }): Promise<void> {
  await db`insert into sessions (id, user_id, expires_at) values (${session.id}, ${session.userId}, ${session.expiresAt})`
}

export async function insertRefreshToken(db: Db, token: { tokenHash: string; sessionId: string; expiresAt: Date }): Promise<void> {
  await db`
    insert into refresh_tokens (token_hash, session_id, expires_at)
    values (${token.tokenHash}, ${token.sessionId}, ${token.expiresAt})`
}

/** The token with its session, locked until the transaction ends (rotation is serialised). */
export async function findRefreshTokenForUpdate(db: Db, tokenHash: string): Promise<RefreshTokenRow | undefined> {
  const [row] = await db<RefreshTokenRow[]>`
    select t.token_hash, t.session_id, t.expires_at, t.used_at,
           s.user_id, s.revoked_at as session_revoked_at, s.expires_at as session_expires_at
    from refresh_tokens t join sessions s on s.id = t.session_id
    where t.token_hash = ${tokenHash}
    for update of t, s`
  return row
}

export async function markUsed(db: Db, tokenHash: string): Promise<void> {
  await db`update refresh_tokens set used_at = now() where token_hash = ${tokenHash}`
}

export async function revokeSession(db: Db, sessionId: string, reason: string): Promise<void> {
  await db`update sessions set revoked_at = now(), revoked_reason = ${reason} where id = ${sessionId} and revoked_at is null`
}

/** Revokes every live session of a user except `keep`; returns how many. */
export async function revokeUserSessions(db: Db, userId: string, reason: string, keep?: string): Promise<number> {
  const rows = await db`
    update sessions set revoked_at = now(), revoked_reason = ${reason}
    where user_id = ${userId} and revoked_at is null and id is distinct from ${keep ?? null}::uuid
    returning 1`
  return rows.length
}

/** Deletes sessions (and their tokens) that expired or were revoked more than `days` ago. */
export async function pruneSessions(db: Db, days: number): Promise<number> {
  const rows = await db`
    delete from sessions
    where expires_at < now() - ${days} * interval '1 day'
       or revoked_at < now() - ${days} * interval '1 day'
    returning 1`
  return rows.length
}
