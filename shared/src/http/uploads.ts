/**
 * Routes that take a file, and so a body larger than a JSON API's: the one limit that every
 * process on the way (the gateway, the service's guards, the route itself) agrees on.
 */

/** The largest image a product may have, in bytes (the contract: 5 MB). */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024

/** What a multipart body may add around the file (boundaries, part headers). */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024

/** `POST /api/products/:id/images`: an image upload. */
const IMAGE_UPLOAD = /^\/api\/products\/[^/]+\/images\/?$/

/**
 * The largest body `method` `path` may send: an image upload's file plus its multipart framing,
 * otherwise `otherwise` (the JSON limit). A file over MAX_IMAGE_BYTES inside that is refused by
 * the route, also with a 413.
 */
export function bodyLimitFor(method: string, path: string, otherwise: number): number {
  return method === 'POST' && IMAGE_UPLOAD.test(path) ? Math.max(otherwise, MAX_IMAGE_BYTES + MULTIPART_OVERHEAD_BYTES) : otherwise
}

/** The path of a request, without its query. */
export function pathOf(request: Request): string {
  const afterScheme = request.url.indexOf('//') + 2
  const start = request.url.indexOf('/', afterScheme)
  return start < 0 ? '/' : request.url.slice(start).split('?')[0]!
}
