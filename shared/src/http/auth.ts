/**
 * Access-token verification for every service. Tokens are ES256 JWTs signed by the users
 * service; the verifier checks the algorithm, issuer, audience and expiry, against either the
 * users JWKS (fetched and cached) or, inside users, its own public keys.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { Elysia } from 'elysia'
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose'
import { ForbiddenError, ServiceUnavailableError, UnauthorizedError } from './errors.ts'

export const ACCESS_TOKEN_ALG = 'ES256'
export const ROLES = ['customer', 'admin'] as const
export type Role = (typeof ROLES)[number]

/** Who is calling, as proven by the access token. */
export interface AuthUser {
  id: string
  role: Role
  /** The session (refresh-token family) this token was issued for. */
  sessionId: string
  /** When the token expires (ms since the epoch): what it opened (a live stream) ends then. */
  expiresAt: number
  /** The user's display name when the token was issued (null in tokens signed without it). */
  name: string | null
}

export interface TokenVerifier {
  verify(token: string): Promise<AuthUser>
}

export interface VerifierOptions {
  keys: JWTVerifyGetKey
  issuer: string
  audience: string
  /** Allowed clock skew in seconds. */
  clockTolerance?: number
}

/** A key set fetched from the users service, cached for 10 minutes and refetched on an unknown `kid`. */
export function remoteKeySet(jwksUrl: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUrl), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000, timeoutDuration: 3000 })
}

/**
 * Several users instances (the gateway's USERS_URL list): the keys from the first that answers.
 * Every instance serves the same keys (they live in the users schema), so any one will do.
 */
function failoverKeySet(sets: JWTVerifyGetKey[]): JWTVerifyGetKey {
  return async (protectedHeader, token) => {
    let last: unknown
    for (const set of sets) {
      try {
        return await set(protectedHeader, token)
      } catch (error) {
        if (!(error instanceof joseErrors.JWKSTimeout || isFetchFailure(error))) throw error
        last = error
      }
    }
    throw last
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Verified tokens remembered (by their exact text) so a client's next request skips the signature check. */
const CACHE_LIMIT = 10_000

export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const verified = new Map<string, { user: AuthUser; until: number }>()

  async function verifyOnce(token: string): Promise<{ user: AuthUser; exp: number }> {
    let payload
    try {
      ;({ payload } = await jwtVerify(token, options.keys, {
        algorithms: [ACCESS_TOKEN_ALG],
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['exp', 'iat', 'sub'],
        clockTolerance: options.clockTolerance ?? 5,
      }))
    } catch (error) {
      if (error instanceof joseErrors.JWKSTimeout || isFetchFailure(error))
        throw new ServiceUnavailableError('The token signing keys could not be fetched')
      if (error instanceof joseErrors.JWTExpired) throw new UnauthorizedError('The access token has expired', 'invalid_token')
      throw new UnauthorizedError('The access token is invalid', 'invalid_token')
    }
    const { sub, role, sid, name } = payload as { sub?: unknown; role?: unknown; sid?: unknown; name?: unknown }
    if (typeof sub !== 'string' || !UUID.test(sub) || typeof sid !== 'string' || !ROLES.includes(role as Role))
      throw new UnauthorizedError('The access token is invalid', 'invalid_token')
    const user = { id: sub, role: role as Role, sessionId: sid, expiresAt: payload.exp! * 1000, name: typeof name === 'string' ? name : null }
    return { user, exp: payload.exp! * 1000 }
  }

  return {
    async verify(token) {
      const hit = verified.get(token)
      if (hit && hit.until > Date.now()) return hit.user
      if (hit) verified.delete(token)
      const { user, exp } = await verifyOnce(token)
      if (verified.size >= CACHE_LIMIT) verified.delete(verified.keys().next().value!)
      // Until the token expires, and never longer than a minute.
      verified.set(token, { user, until: Math.min(exp, Date.now() + 60_000) })
      return user
    },
  }
}

function isFetchFailure(error: unknown): boolean {
  if (error instanceof joseErrors.JOSEError) return false
  return error instanceof TypeError || (error instanceof Error && /fetch|connect|ECONNREFUSED/i.test(error.message))
}

/** Extracts the token of an `Authorization: Bearer ...` header. */
export function bearerToken(header: string | undefined): string {
  const match = header ? /^Bearer\s+([A-Za-z0-9\-_.]+)\s*$/i.exec(header) : null
  if (!match) throw new UnauthorizedError('An "Authorization: Bearer <access token>" header is required')
  return match[1]!
}

/**
 * The `auth` macro: `{ auth: true }` requires a valid access token and gives the handler
 * `user`; `{ auth: 'admin' }` also requires the admin role (403 otherwise).
 */
export function authPlugin(verifier: TokenVerifier) {
  return new Elysia({ name: 'shop.auth' }).macro({
    auth: (required: true | 'admin') => ({
      async resolve({ headers }) {
        const user = await verifier.verify(bearerToken(headers.authorization))
        if (required === 'admin' && user.role !== 'admin') throw new ForbiddenError('This needs the admin role')
        return { user }
      },
      detail: { security: [{ bearerAuth: [] }] },
    }),
  })
}

export const SERVICE_TOKEN_HEADER = 'x-service-token'

/**
 * The `service` macro for internal routes that other services call (never routed by the
 * gateway): the caller proves it is one of ours with the shared INTERNAL_TOKEN in
 * `X-Service-Token`, compared in constant time.
 */
export function serviceAuthPlugin(internalToken: string) {
  const expected = createHash('sha256').update(internalToken).digest()
  return new Elysia({ name: 'shop.service-auth' }).macro({
    service: {
      beforeHandle({ headers }) {
        const given = headers[SERVICE_TOKEN_HEADER]
        const digest = createHash('sha256').update(given ?? '').digest()
        if (!given || !timingSafeEqual(digest, expected))
          throw new UnauthorizedError('This internal route needs a valid X-Service-Token', 'unauthorized')
      },
      detail: { tags: ['internal'], security: [{ serviceToken: [] }] },
    },
  })
}

/** The verifier every service but users uses: the users JWKS, the configured issuer and audience. */
export function usersTokenVerifier(config: { USERS_URL: string | string[]; JWT_ISSUER: string; JWT_AUDIENCE: string }): TokenVerifier {
  const sets = [config.USERS_URL].flat().map((url) => remoteKeySet(new URL('/.well-known/jwks.json', url).toString()))
  return createTokenVerifier({
    keys: sets.length === 1 ? sets[0]! : failoverKeySet(sets),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  })
}
