/**
 * The error model: every failure a client can see is an `AppError` with a stable `code` and an
 * HTTP `status`, answered as RFC 9457 `application/problem+json` by `errorPlugin`.
 */
import { Elysia, t } from 'elysia'
import type { Logger } from '../runtime/logger.ts'

export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  code: string
  /** Validation problems: one entry per offending field (JSON pointer, e.g. `/email`). */
  errors?: { field: string; message: string }[]
  /** Seconds to wait, on 429 and 503. */
  retryAfter?: number
}

/** The OpenAPI schema of a problem, for `response` declarations. */
export const Problem = t.Object(
  {
    type: t.String(),
    title: t.String(),
    status: t.Integer(),
    detail: t.String(),
    code: t.String(),
    errors: t.Optional(t.Array(t.Object({ field: t.String(), message: t.String() }))),
    retryAfter: t.Optional(t.Integer()),
  },
  { description: 'RFC 9457 problem details' },
)

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

/** Base of every error a client may see. `code` is a stable machine word. */
export class AppError<Code extends string = string> extends Error {
  constructor(
    readonly status: number,
    readonly code: Code,
    readonly detail: string,
    readonly extra: { errors?: ProblemBody['errors']; retryAfter?: number; headers?: Record<string, string> } = {},
  ) {
    super(detail)
    this.name = 'AppError'
  }

  toProblem(): ProblemBody {
    return {
      type: `https://shop.example/problems/${this.code.replaceAll('_', '-')}`,
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...(this.extra.errors ? { errors: this.extra.errors } : {}),
      ...(this.extra.retryAfter !== undefined ? { retryAfter: this.extra.retryAfter } : {}),
    }
  }
}

export class BadRequestError extends AppError<'bad_request' | 'idempotency_key_required'> {
  constructor(detail: string, code: 'bad_request' | 'idempotency_key_required' = 'bad_request') {
    super(400, code, detail)
  }
}

export class ValidationFailedError extends AppError<'validation_failed'> {
  constructor(detail: string, errors: { field: string; message: string }[] = []) {
    super(422, 'validation_failed', detail, { errors })
  }
}

export class UnauthorizedError extends AppError<'unauthorized' | 'invalid_credentials' | 'invalid_token'> {
  constructor(detail = 'Authentication is required', code: 'unauthorized' | 'invalid_credentials' | 'invalid_token' = 'unauthorized') {
    super(401, code, detail, { headers: { 'www-authenticate': 'Bearer' } })
  }
}

export class ForbiddenError extends AppError<'forbidden'> {
  constructor(detail = 'You are not allowed to do this') {
    super(403, 'forbidden', detail)
  }
}

export class NotFoundError extends AppError<'not_found'> {
  constructor(detail = 'Not found') {
    super(404, 'not_found', detail)
  }
}

export class ConflictError<Code extends string = 'conflict'> extends AppError<Code> {
  constructor(detail: string, code: Code = 'conflict' as Code) {
    super(409, code, detail)
  }
}

export class UnprocessableError<Code extends string> extends AppError<Code> {
  constructor(code: Code, detail: string) {
    super(422, code, detail)
  }
}

export class RateLimitedError extends AppError<'rate_limited'> {
  constructor(retryAfterSeconds: number) {
    super(429, 'rate_limited', `Too many requests; try again in ${retryAfterSeconds} s`, {
      retryAfter: retryAfterSeconds,
      headers: { 'retry-after': String(retryAfterSeconds) },
    })
  }
}

export class ServiceUnavailableError extends AppError<'unavailable'> {
  constructor(detail = 'A dependency is unavailable') {
    super(503, 'unavailable', detail)
  }
}

/** Builds a problem+json `Response` for an `AppError`. */
export function problemResponse(error: AppError, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(error.toProblem()), {
    status: error.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...error.extra.headers, ...headers },
  })
}

interface ValidationLike {
  all: { path: string; message: string; summary?: string; schema?: { error?: unknown } }[]
  type: string
}

function fieldName(path: string, type: string): string {
  if (path) return path.replace(/^\//, '').replaceAll('/', '.')
  return type
}

/** Maps an Elysia validation error to our 422, naming each field. */
function fromValidation(error: ValidationLike): AppError {
  const seen = new Set<string>()
  const errors: { field: string; message: string }[] = []
  for (const issue of error.all) {
    const field = fieldName(issue.path, error.type)
    if (seen.has(field)) continue
    seen.add(field)
    const custom = issue.schema?.error
    errors.push({ field, message: typeof custom === 'string' ? custom : (issue.summary ?? issue.message) })
  }
  const detail = errors.length
    ? errors.map((e) => `${e.field}: ${e.message}`).join('; ')
    : `The request ${error.type} is invalid`
  return new ValidationFailedError(detail, errors)
}

/**
 * The database went away under the request (its connection cut or refused, the server shutting
 * down or full): nothing of the request was committed in a transaction that did not end, and the
 * same request may succeed shortly, so 503 rather than 500. Server codes (class 08, 57P0x,
 * 53300) and the `postgres` client's own for a lost connection.
 */
const DATABASE_GONE = new Set([
  '08000', '08003', '08006', '08001', '08004', '57P01', '57P02', '57P03', '53300',
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE',
])

/** Postgres errors that are the client's fault when they escape a service, or a database that went away. */
function fromPostgres(error: { code?: string; constraint_name?: string }): AppError | undefined {
  if (error.code && DATABASE_GONE.has(error.code))
    return new AppError(503, 'unavailable', 'A connection the service needs was lost (its database or another store); try again shortly, with the same Idempotency-Key', {
      retryAfter: 1,
      headers: { 'retry-after': '1' },
    })
  switch (error.code) {
    case '23505':
      return new ConflictError('The resource already exists')
    case '23503':
      return new ConflictError('A referenced resource does not exist or is still in use')
    case '23514':
      return new ConflictError('The change would break a rule of the resource')
    case '22P02':
      return new ValidationFailedError('A value has the wrong format')
    default:
      return undefined
  }
}

/** Translates anything thrown in a request into an `AppError`; unknown errors become a bare 500. */
export function toAppError(error: unknown, elysiaCode?: string | number): AppError {
  if (error instanceof AppError) return error
  if (elysiaCode === 'VALIDATION' && error && typeof error === 'object' && 'all' in error)
    return fromValidation(error as unknown as ValidationLike)
  if (elysiaCode === 'NOT_FOUND') return new NotFoundError('No such route')
  // A parser of ours refused the body for a reason of its own (too large): Elysia wraps it.
  if (elysiaCode === 'PARSE' && error instanceof Error && error.cause instanceof AppError) return error.cause
  if (elysiaCode === 'PARSE') return new BadRequestError('The request body could not be parsed')
  if (elysiaCode === 'INVALID_COOKIE_SIGNATURE') return new BadRequestError('Invalid cookie')
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    const mapped = fromPostgres(error as { code: string })
    if (mapped) return mapped
  }
  if (error && typeof error === 'object' && 'status' in error && typeof error.status === 'number') {
    const status = error.status
    if (status === 413) return new AppError(413, 'payload_too_large', 'The request body is too large')
    if (status === 415) return new AppError(415, 'unsupported_media_type', 'Unsupported content type')
    if (status === 405) return new AppError(405, 'method_not_allowed', 'Method not allowed')
  }
  return new AppError(500, 'internal_error', 'An unexpected error occurred')
}

const finalizers = new WeakMap<Request, (error: AppError) => Promise<void>>()

/**
 * Registers work to finish before the error answer of `request` is sent (the idempotency plugin
 * records a final 4xx or frees its key on a 5xx). Run by `errorPlugin`, in its one place.
 */
export function beforeErrorResponse(request: Request, fn: (error: AppError) => Promise<void>): void {
  finalizers.set(request, fn)
}

/** Forgets what `beforeErrorResponse` registered (the request succeeded). */
export function clearErrorResponseHook(request: Request): void {
  finalizers.delete(request)
}

/**
 * The one error handler of a service (registered globally): AppErrors, validation, parse and
 * Postgres errors become problem+json; anything else is logged with its stack and answered as a
 * bare 500 so no SQL, stack or internal name reaches the client.
 */
export function errorPlugin(log: Logger) {
  return new Elysia({ name: 'shop.errors' }).onError({ as: 'global' }, async ({ code, error, request, set }) => {
    const appError = toAppError(error, code)
    const finalize = finalizers.get(request)
    if (finalize) {
      finalizers.delete(request)
      try {
        await finalize(appError)
      } catch (finalizeError) {
        log.error('error finalizer failed', { error: finalizeError instanceof Error ? finalizeError.message : String(finalizeError) })
      }
    }
    // Read by the request log and metrics, which see the final status only through `set`.
    set.status = appError.status
    if (appError.status >= 500)
      log.error('unhandled error', {
        method: request.method,
        path: new URL(request.url).pathname,
        error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
      })
    return problemResponse(appError)
  })
}
