/**
 * The Idempotency-Key plugin (the contract's "Idempotency"). A POST that creates or moves money or
 * orders declares `{ auth: true, idempotent: true }`; then:
 * - no key: 400; same key and same request after the first finished: the stored status and body
 *   are replayed with `Idempotent-Replayed: true` and the handler does not run;
 * - same key, different request: 422; same key while the first is still running: 409.
 * Keys are scoped to the user and the route template and kept `retentionMs` (24 h by default).
 *
 * A handler that fails with a 4xx is recorded like a success (the answer is final); a 5xx frees
 * the key so the client may retry. A route may give `idempotent` an `IdempotentRoute` instead of
 * `true`: its own statements then ride in the claim's statement, and its handler may record the
 * answer in its own final statement (`claimOf(request).recordIn`), one round trip and one commit
 * fewer each. If a process dies mid-request its claim expires after
 * `lockMs` and a retry takes it over: effects underneath must still be guarded by the database
 * (unique constraints), which is how every money path here is built.
 */
import { createHash, randomUUID } from 'node:crypto'
import { Elysia, ElysiaCustomStatusResponse } from 'elysia'
import type { Db, Fragment, Sql } from '../data/db.ts'
import type { AuthUser } from './auth.ts'
import { BadRequestError, ConflictError, PROBLEM_CONTENT_TYPE, UnprocessableError, beforeErrorResponse, clearErrorResponseHook } from './errors.ts'

export const IDEMPOTENCY_HEADER = 'idempotency-key'

/** The header as an API document's operation shows it (`detail: { ...IDEMPOTENCY_HEADER_DOC }`). */
export const IDEMPOTENCY_HEADER_DOC = {
  parameters: [{ name: 'Idempotency-Key', in: 'header' as const, required: true, schema: { type: 'string' as const, minLength: 1, maxLength: 255 } }],
}
export const REPLAYED_HEADER = 'Idempotent-Replayed'

export interface IdempotencyOptions {
  retentionMs?: number
  lockMs?: number
}

export interface IdempotencyScope {
  userId: string
  route: string
  key: string
}

/** The key a request owns, as plain values: what a statement needs to record the answer under it. */
export interface OwnedKey {
  scope: IdempotencyScope
  lockToken: string
}

/**
 * `complete` as a data-modifying CTE body for a handler's own statement: records `status` and
 * `body` (a jsonb expression over the statement's other CTEs) as the answer under `owned` when
 * `guard` (a condition over them) holds.
 */
export function recordAnswerIn(db: Db, owned: OwnedKey, status: number, body: Fragment, guard: Fragment): Fragment {
  const { scope, lockToken } = owned
  return db`
    update idempotency_keys
    set state = 'done', response_status = ${status}, response_body = ${body}, content_type = 'application/json'
    where user_id = ${scope.userId} and route = ${scope.route} and key = ${scope.key} and lock_token = ${lockToken}
      and ${guard}`
}

/**
 * What a route runs in the statement that claims its key, only when the key is claimed:
 * `write`, a data-modifying CTE body that selects `from claimed` (a one-row CTE), and `lookup`, a
 * scalar subquery whose value the handler gets as `claimOf(request).lookup`.
 */
export interface ClaimWith {
  write?: Fragment
  lookup?: Fragment
}

export type BeginResult =
  | { kind: 'owner'; lockToken: string; lookup: unknown }
  | { kind: 'replay'; status: number; body: unknown; contentType: string }

interface StoredKey {
  requestHash: string
  state: 'in_flight' | 'done'
  responseStatus: number | null
  responseBody: unknown
  contentType: string | null
}

/** The storage half, usable without HTTP. Table: `idempotency_keys` in the service's schema. */
export class IdempotencyStore {
  readonly retentionMs: number
  readonly lockMs: number

  constructor(
    private readonly sql: Sql,
    options: IdempotencyOptions = {},
  ) {
    this.retentionMs = options.retentionMs ?? 24 * 3600_000
    this.lockMs = options.lockMs ?? 15_000
  }

  /** Claims the key for this request, or says what to answer instead. */
  async begin(scope: IdempotencyScope, requestHash: string, claimWith: ClaimWith = {}): Promise<BeginResult> {
    const lockToken = randomUUID()
    const [claimed] = await this.sql<{ lockToken: string; lookup: unknown }[]>`
      with claimed as (
      insert into idempotency_keys (user_id, route, key, request_hash, state, lock_token, locked_until)
      values (${scope.userId}, ${scope.route}, ${scope.key}, ${requestHash}, 'in_flight', ${lockToken},
              now() + ${this.lockMs} * interval '1 millisecond')
      on conflict (user_id, route, key) do update
        set request_hash = excluded.request_hash, state = 'in_flight', lock_token = excluded.lock_token,
            locked_until = excluded.locked_until, response_status = null, response_body = null,
            content_type = null, created_at = now()
        where idempotency_keys.created_at < now() - ${this.retentionMs} * interval '1 millisecond'
           or (idempotency_keys.state = 'in_flight' and idempotency_keys.locked_until < now()
               and idempotency_keys.request_hash = excluded.request_hash)
      returning lock_token
      )${claimWith.write ? this.sql`, claim_write as (${claimWith.write})` : this.sql``}
      select lock_token, ${claimWith.lookup ?? this.sql`null`} as lookup from claimed`
    if (claimed) return { kind: 'owner', lockToken: claimed.lockToken, lookup: claimed.lookup }

    const [existing] = await this.sql<StoredKey[]>`
      select request_hash, state, response_status, response_body, content_type
      from idempotency_keys where user_id = ${scope.userId} and route = ${scope.route} and key = ${scope.key}`
    // Pruned between the two statements: a rare race, and claiming again is the right answer.
    if (!existing) return this.begin(scope, requestHash, claimWith)
    if (existing.requestHash !== requestHash)
      throw new UnprocessableError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request')
    if (existing.state === 'in_flight')
      throw new ConflictError('A request with this Idempotency-Key is still being processed', 'idempotency_key_in_flight')
    return {
      kind: 'replay',
      status: existing.responseStatus!,
      body: existing.responseBody,
      contentType: existing.contentType ?? 'application/json',
    }
  }

  /** `recordAnswerIn` on this store's connection. */
  recordIn(scope: IdempotencyScope, lockToken: string, status: number, body: Fragment, guard: Fragment): Fragment {
    return recordAnswerIn(this.sql, { scope, lockToken }, status, body, guard)
  }

  /** Records the final answer of the request that owns the key. */
  async complete(scope: IdempotencyScope, lockToken: string, status: number, body: unknown, contentType: string): Promise<void> {
    await this.sql`
      update idempotency_keys
      set state = 'done', response_status = ${status}, response_body = ${this.sql.json((body ?? null) as never)},
          content_type = ${contentType}
      where user_id = ${scope.userId} and route = ${scope.route} and key = ${scope.key} and lock_token = ${lockToken}`
  }

  /** Frees the key after a failure that may be retried (5xx). */
  async release(scope: IdempotencyScope, lockToken: string): Promise<void> {
    await this.sql`
      delete from idempotency_keys
      where user_id = ${scope.userId} and route = ${scope.route} and key = ${scope.key} and lock_token = ${lockToken}`
  }

  /** Deletes finished records older than the retention window; returns how many. */
  async prune(db: Db = this.sql): Promise<number> {
    const rows = await db`
      delete from idempotency_keys
      where created_at < now() - ${this.retentionMs} * interval '1 millisecond'
        and (state = 'done' or locked_until < now())
      returning 1`
    return rows.length
  }
}

/** sha256 over the method, the concrete path and a canonical JSON of the body. */
export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${path}\n${canonicalJson(body)}`).digest('hex')
}

function canonicalJson(value: unknown): string {
  if (value === undefined) return ''
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )
}

/** The key a running request owns. */
export interface Claim {
  scope: IdempotencyScope
  lockToken: string
  /** What the route's `claimWith.lookup` found in the claim's statement (null without one). */
  lookup: unknown
  /**
   * For the handler's final statement: a CTE body that records `status` and `body` as the answer
   * when `guard` holds. Once that statement has written the answer, the handler calls
   * `recorded()` and the plugin does not record it again.
   */
  recordIn(status: number, body: Fragment, guard: Fragment): Fragment
  recorded(): void
}

/** A route's own statements in its claim (see `ClaimWith`), built from the caller and the key. */
export interface IdempotentRoute {
  claimWith(caller: { user: AuthUser; key: string }): ClaimWith
}

const claims = new WeakMap<Request, Claim & { done: boolean }>()

/** The claim of a request on an `idempotent` route, inside its handler. */
export function claimOf(request: Request): Claim | undefined {
  return claims.get(request)
}

/**
 * The `idempotent` macro: `true`, or an `IdempotentRoute`. It must be used together with `auth`
 * (it scopes keys by `user.id`). Header: `Idempotency-Key`, 1-255 printable characters.
 */
export function idempotencyPlugin(store: IdempotencyStore) {
  return new Elysia({ name: 'shop.idempotency' }).macro({
    idempotent: (options: boolean | IdempotentRoute) => {
      if (!options) return
      const route = options === true ? undefined : options
      return {
        async beforeHandle({ request, headers, body, route: template, path, user }: {
          request: Request
          headers: Record<string, string | undefined>
          body: unknown
          route: string
          path: string
          user?: AuthUser
        }) {
          if (!user) throw new Error(`Route ${template} is idempotent but not authenticated`)
          const key = headers[IDEMPOTENCY_HEADER]
          if (key === undefined || key === '')
            throw new BadRequestError('An Idempotency-Key header is required for this request', 'idempotency_key_required')
          if (key.length > 255 || !/^[\x21-\x7e]+$/.test(key))
            throw new BadRequestError('The Idempotency-Key must be 1-255 printable ASCII characters', 'idempotency_key_required')
          const scope = { userId: user.id, route: `${request.method} ${template}`, key }
          const result = await store.begin(scope, requestHash(request.method, path, body), route?.claimWith({ user, key }))
          if (result.kind === 'replay')
            return new Response(JSON.stringify(result.body), {
              status: result.status,
              headers: { 'content-type': result.contentType, [REPLAYED_HEADER]: 'true' },
            })
          const claim = {
            scope,
            lockToken: result.lockToken,
            lookup: result.lookup,
            done: false,
            recordIn: (status: number, answer: Fragment, guard: Fragment) => store.recordIn(scope, result.lockToken, status, answer, guard),
            recorded() {
              claim.done = true
            },
          }
          claims.set(request, claim)
          beforeErrorResponse(request, async (error) => {
            claims.delete(request)
            // An error after the handler's statement recorded the answer leaves that answer.
            if (claim.done) return
            if (error.status < 500 && error.status !== 429)
              await store.complete(scope, result.lockToken, error.status, error.toProblem(), PROBLEM_CONTENT_TYPE)
            else await store.release(scope, result.lockToken)
          })
        },
        async afterHandle({ request, responseValue, set }) {
          const claim = claims.get(request)
          if (!claim) return
          claims.delete(request)
          clearErrorResponseHook(request)
          if (claim.done) return
          let status = typeof set.status === 'number' ? set.status : 200
          let body: unknown = responseValue
          if (responseValue instanceof ElysiaCustomStatusResponse) {
            status = responseValue.code
            body = responseValue.response
          }
          if (body instanceof Response) {
            // Routes answer with values; a raw Response cannot be replayed faithfully.
            await store.release(claim.scope, claim.lockToken)
            return
          }
          await store.complete(claim.scope, claim.lockToken, status, body, 'application/json')
        },
      }
    },
  })
}
