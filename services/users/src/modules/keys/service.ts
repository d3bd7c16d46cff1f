/**
 * The access-token signing key and what is derived from it: signing, the public JWKS and a local
 * verifier. The key comes from JWT_PRIVATE_KEY, or is generated once and kept in the schema so
 * that restarts and several instances sign with, and publish, the same key.
 */
import {
  SignJWT,
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  type CryptoKey,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose'
import { ACCESS_TOKEN_ALG, type Role } from '@shop/shared/http/auth'
import type { Sql } from '@shop/shared/data/db'
import * as repo from './repository.ts'

export interface KeyRing {
  kid: string
  /** The public keys, as served at `/.well-known/jwks.json`. */
  jwks: { keys: JWK[] }
  /** A key resolver over `jwks`, for verifying tokens inside this service. */
  localKeys: JWTVerifyGetKey
  /** An access token for the claims, valid `ttlSeconds` (default: the ring's). */
  signAccessToken(claims: { userId: string; role: Role; sessionId: string; name?: string }, ttlSeconds?: number): Promise<string>
}

export interface KeyRingOptions {
  issuer: string
  audience: string
  ttlSeconds: number
  /** PKCS#8 PEM; when absent the key is read from, or generated into, Postgres. */
  privateKeyPem?: string
  keyId?: string
}

async function publicJwkOf(privateJwk: JWK): Promise<JWK> {
  const { d: _d, ...pub } = privateJwk
  return pub
}

async function loadFromPem(pem: string, keyId: string | undefined) {
  const privateKey = await importPKCS8(pem, ACCESS_TOKEN_ALG, { extractable: true })
  const privateJwk = await exportJWK(privateKey)
  const publicJwk = await publicJwkOf(privateJwk)
  const kid = keyId ?? (await calculateJwkThumbprint(publicJwk))
  return { kid, privateKey, publicJwk }
}

async function loadFromDatabase(sql: Sql) {
  let row = await repo.findActive(sql)
  if (!row) {
    const { privateKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { extractable: true })
    const privateJwk = await exportJWK(privateKey)
    const publicJwk = await publicJwkOf(privateJwk)
    const kid = await calculateJwkThumbprint(publicJwk)
    await repo.insertActiveIfNone(sql, { kid, alg: ACCESS_TOKEN_ALG, privateJwk, publicJwk })
    // Another instance may have inserted its key first: everyone uses what the table holds.
    row = await repo.findActive(sql)
    if (!row) throw new Error('The signing key could not be stored')
  }
  const privateKey = (await importJWK(row.privateJwk, ACCESS_TOKEN_ALG)) as CryptoKey
  return { kid: row.kid, privateKey, publicJwk: row.publicJwk }
}

export async function loadKeyRing(sql: Sql, options: KeyRingOptions): Promise<KeyRing> {
  const { kid, privateKey, publicJwk } = options.privateKeyPem
    ? await loadFromPem(options.privateKeyPem, options.keyId)
    : await loadFromDatabase(sql)
  const jwks = { keys: [{ ...publicJwk, kid, alg: ACCESS_TOKEN_ALG, use: 'sig' }] }
  return {
    kid,
    jwks,
    localKeys: createLocalJWKSet(jwks),
    signAccessToken: ({ userId, role, sessionId, name }, ttlSeconds = options.ttlSeconds) =>
      new SignJWT({ role, sid: sessionId, ...(name === undefined ? {} : { name }) })
        .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid, typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt()
        .setJti(crypto.randomUUID())
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(privateKey),
  }
}
