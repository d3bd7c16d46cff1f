/**
 * Client mistakes that must be 4xx problems, never a 5xx or Bun's bare answer, on every route:
 * - a body over the limit is a 413 (Content-Length checked before anything is read; a body sent
 *   in chunks is counted as it is read, and never read past the limit);
 * - a NUL character in any string of the body, the query or the path (Postgres refuses it in
 *   text, so it would otherwise surface as a 500 wherever the value reaches SQL), or an unpaired
 *   surrogate (no Unicode at all: stored as U+FFFD, two values would become one), is a 422
 *   naming the field;
 * - a path with malformed percent-encoding is a 400;
 * - a JSON body nested deeper than MAX_JSON_DEPTH is a 400 before anything walks it recursively
 *   (20,000 nested arrays overflowed the stack of validation and of the key's hash: a 500).
 */
import { Elysia } from 'elysia'
import { AppError, BadRequestError, ValidationFailedError } from './errors.ts'
import { bodyLimitFor, pathOf } from './uploads.ts'

export class PayloadTooLargeError extends AppError<'payload_too_large'> {
  constructor(maxBytes: number) {
    super(413, 'payload_too_large', `The request body is larger than ${maxBytes} bytes`)
  }
}

/** The default body limit of a JSON API. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576

/** Reads `body` whole, failing with a 413 as soon as more than `maxBytes` arrived. */
export async function readCapped(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => {})
      throw new PayloadTooLargeError(maxBytes)
    }
    chunks.push(value)
  }
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/** A 413 for a declared Content-Length over `maxBytes`; undefined when the length is fine or absent. */
export function declaredTooLarge(request: Request, maxBytes: number): PayloadTooLargeError | undefined {
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) return new PayloadTooLargeError(maxBytes)
  return undefined
}

/** No body of ours nests deeper than a few levels; this leaves room and keeps every walk shallow. */
export const MAX_JSON_DEPTH = 32

/** The deepest nesting of arrays and objects in JSON `text`, scanning at most until `limit` is passed. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92 /* \ */) i++
      else if (c === 34 /* " */) inString = false
    } else if (c === 34) inString = true
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--
  }
  return deepest
}

const tooDeep = () => new BadRequestError(`The request body is nested more than ${MAX_JSON_DEPTH} levels deep`)

/** Parses JSON `text` (empty: no body), refusing malformed or too deeply nested documents with a 400. */
export function parseJson(text: string): unknown {
  if (text.length === 0) return undefined
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw tooDeep()
  try {
    return JSON.parse(text)
  } catch {
    throw new BadRequestError('The request body could not be parsed')
  }
}

/** A 400 for a path whose percent-encoding cannot be decoded (`/%`, `/%E0%A4%A`); undefined otherwise. */
export function malformedPath(request: Request): BadRequestError | undefined {
  const afterScheme = request.url.indexOf('//') + 2
  const start = request.url.indexOf('/', afterScheme)
  const path = start < 0 ? '/' : request.url.slice(start).split('?')[0]!
  try {
    decodeURIComponent(path)
    return undefined
  } catch {
    return new BadRequestError('The request path has malformed percent-encoding')
  }
}

const isJson = (type: string) => type === 'application/json' || type.endsWith('+json')

/** Parses a body that was read whole, by its content type, as Elysia's own parsers would. */
async function parseBytes(bytes: Uint8Array<ArrayBuffer>, contentType: string): Promise<unknown> {
  const type = contentType.split(';')[0]!.trim().toLowerCase()
  const text = () => new TextDecoder().decode(bytes)
  if (isJson(type)) return parseJson(text())
  if (type === 'text/plain') return text()
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text()))
  if (type === 'multipart/form-data') {
    const form = await new Response(bytes, { headers: { 'content-type': contentType } }).formData().catch(() => {
      throw new BadRequestError('The multipart body could not be parsed')
    })
    const fields: Record<string, unknown> = {}
    for (const [name, value] of form.entries()) fields[name] = value
    return fields
  }
  return bytes.buffer
}

/** Why a string cannot be stored as text: Postgres refuses NUL, and an unpaired surrogate is no Unicode at all. */
function badText(text: string): 'nul' | 'surrogate' | undefined {
  if (text.includes('\u0000')) return 'nul'
  if (!text.isWellFormed()) return 'surrogate'
  return undefined
}

/**
 * The first string inside `value` (keys included) that cannot be stored as text: its path and
 * why. An unpaired surrogate would otherwise be stored as U+FFFD, so two different values (two
 * emails) would silently become one.
 */
export function findBadText(value: unknown, path = '', depth = 0): { path: string; why: 'nul' | 'surrogate' } | undefined {
  if (typeof value === 'string') {
    const why = badText(value)
    return why ? { path, why } : undefined
  }
  if (typeof value !== 'object' || value === null || value instanceof Blob || value instanceof ArrayBuffer) return undefined
  // The one walk of every body before validation: it also stops a document too deep for the
  // walks after it (validation, the Idempotency-Key's hash), which would overflow the stack.
  if (depth >= MAX_JSON_DEPTH) throw tooDeep()
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBadText(value[i], `${path}.${i}`, depth + 1)
      if (found) return found
    }
    return undefined
  }
  for (const [key, inner] of Object.entries(value)) {
    const why = badText(key)
    if (why) return { path: `${path}.${key.replaceAll('\u0000', '\\0')}`, why }
    const found = findBadText(inner, `${path}.${key}`, depth + 1)
    if (found) return found
  }
  return undefined
}

const BAD_TEXT = { nul: 'must not contain a NUL character', surrogate: 'must be valid Unicode text (it holds an unpaired surrogate)' }

function badTextProblem(where: 'body' | 'query' | 'params', found: { path: string; why: 'nul' | 'surrogate' }): ValidationFailedError {
  const field = found.path.replace(/^\./, '') || where
  return new ValidationFailedError(`${field}: ${BAD_TEXT[found.why]}`, [{ field, message: BAD_TEXT[found.why] }])
}

/** The bodies read whole: by the guards (a chunked one) or by `rawBodyText`; a request's stream can be read once. */
const readBodies = new WeakMap<Request, Uint8Array<ArrayBuffer>>()

/**
 * The request's body as the exact text sent, for a route that must see the raw bytes (a webhook's
 * signature is over them): use it as the route's `parse` and again in its handler. It is what the
 * guards read of a chunked body, or the body, read once and kept.
 */
export async function rawBodyText(request: Request): Promise<string> {
  let read = readBodies.get(request)
  if (!read) readBodies.set(request, (read = new Uint8Array(await request.arrayBuffer())))
  return new TextDecoder().decode(read)
}

/**
 * The guards above as one plugin, registered by `createServiceApp` for every service. Bun must not
 * enforce a body limit of its own (`listenAlone` lifts it): its 413 is a bare page.
 */
export function requestGuards(options: { maxBodyBytes?: number } = {}) {
  const defaultMax = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  // Uploads (uploads.ts) may be larger than JSON bodies.
  const maxFor = (request: Request) => bodyLimitFor(request.method, pathOf(request), defaultMax)
  return new Elysia({ name: 'shop.request-guards' })
    .onRequest(({ request }) => {
      const problem = declaredTooLarge(request, maxFor(request)) ?? malformedPath(request)
      if (problem) throw problem
    })
    .onParse({ as: 'global' }, async ({ request, contentType }) => {
      // A body sent in chunks is read here, never past the limit; one with a Content-Length
      // (checked above) is left to Elysia's own parsers (its depth is bounded by the walk below).
      if (!request.body || request.headers.has('content-length')) return
      // The header itself: Elysia's `contentType` has lost the multipart boundary.
      const bytes = await readCapped(request.body, maxFor(request))
      readBodies.set(request, bytes)
      return parseBytes(bytes, request.headers.get('content-type') ?? contentType ?? '')
    })
    .onTransform({ as: 'global' }, ({ body, query, params }) => {
      for (const [where, value] of [['params', params], ['query', query], ['body', body]] as const) {
        const found = findBadText(value)
        if (found) throw badTextProblem(where, found)
      }
    })
}
