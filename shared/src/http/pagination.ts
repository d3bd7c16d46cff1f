/** Keyset pagination: `?limit=` (1-100, default 20) and an opaque `cursor`; `{ items, nextCursor }`. */
import { t, type TSchema } from 'elysia'
import { ValidationFailedError } from './errors.ts'

export const MAX_LIMIT = 100
export const DEFAULT_LIMIT = 20

// The range of `limit` is checked by `pageLimit`: Elysia's coerced query integers lose the field
// name when a minimum or maximum fails.
export const PageQuery = t.Object({
  limit: t.Optional(t.Integer({ description: `1-${MAX_LIMIT}, default ${DEFAULT_LIMIT}`, error: 'must be an integer from 1 to 100' })),
  cursor: t.Optional(t.String({ maxLength: 500, error: 'must be a cursor from a previous page' })),
})

/** The page size asked for, or a 422 naming `limit`. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw new ValidationFailedError(`limit: must be an integer from 1 to ${MAX_LIMIT}`, [
      { field: 'limit', message: `must be an integer from 1 to ${MAX_LIMIT}` },
    ])
  return limit
}

export function Page<T extends TSchema>(item: T) {
  return t.Object({ items: t.Array(item), nextCursor: t.Union([t.String(), t.Null()]) })
}

/** Encodes the sort key of the last item of a page. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url')
}

/** Decodes a cursor, checking it with `isValid`; a bad one is a 422 naming `cursor`. */
export function decodeCursor<T>(cursor: string | undefined, isValid: (value: unknown) => value is T): T | undefined {
  if (cursor === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    value = undefined
  }
  if (!isValid(value))
    throw new ValidationFailedError('cursor: must be a cursor from a previous page', [
      { field: 'cursor', message: 'must be a cursor from a previous page' },
    ])
  return value
}

/** Builds a page from `limit + 1` fetched rows: the extra row only says there is more. */
export function toPage<R, I>(rows: R[], limit: number, map: (row: R) => I, keyOf: (row: R) => unknown) {
  const more = rows.length > limit
  const pageRows = more ? rows.slice(0, limit) : rows
  return {
    items: pageRows.map(map),
    nextCursor: more ? encodeCursor(keyOf(pageRows[pageRows.length - 1]!)) : null,
  }
}

/**
 * A page answered as JSON as it is, for the hottest reads: Elysia then skips encoding the body
 * through the route's response schema, which was a quarter of the catalog's CPU on the product
 * list (bun run bench:catalog-search with CPU_PROFILE_DIR; docs/performance.md). The schema still
 * documents the route; what is sent must already match it (the service builds it from typed rows).
 */
export function pageResponse<T>(page: { items: T[]; nextCursor: string | null }): Response {
  return new Response(JSON.stringify(page), { headers: { 'content-type': 'application/json' } })
}
