import type { JWK } from 'jose'
import type { Db } from '@shop/shared/data/db'

export interface SigningKeyRow {
  kid: string
  alg: string
  privateJwk: JWK
  publicJwk: JWK
}

export async function findActive(db: Db): Promise<SigningKeyRow | undefined> {
  const [row] = await db<SigningKeyRow[]>`
    select kid, alg, private_jwk, public_jwk from signing_keys where active`
  return row
}

/** Inserts `key` as the active key unless another instance got there first. */
export async function insertActiveIfNone(db: Db, key: SigningKeyRow): Promise<void> {
  await db`
    insert into signing_keys (kid, alg, private_jwk, public_jwk, active)
    values (${key.kid}, ${key.alg}, ${db.json(key.privateJwk as never)}, ${db.json(key.publicJwk as never)}, true)
    on conflict do nothing`
}
