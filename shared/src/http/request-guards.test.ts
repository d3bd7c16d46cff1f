import { describe, expect, test } from 'bun:test'
import { Elysia, t } from 'elysia'
import { errorPlugin } from './errors.ts'
import { createLogger } from '../runtime/logger.ts'
import { MAX_JSON_DEPTH, jsonDepth, requestGuards } from './request-guards.ts'

const app = new Elysia()
  .use(errorPlugin(createLogger('test', 'silent')))
  .use(requestGuards({ maxBodyBytes: 1000 }))
  .post('/json', ({ body }) => body, { body: t.Object({ a: t.Unknown() }) })
  .post('/form', ({ body }) => ({ name: body.name, size: body.file.size }), { body: t.Object({ name: t.String(), file: t.File() }) })
  .get('/items/:id', ({ params, query }) => ({ id: params.id, q: query.q ?? null }))

/** A request whose body comes in chunks, with no Content-Length. */
function chunked(path: string, bytes: Uint8Array, contentType: string) {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 100) controller.enqueue(bytes.slice(i, i + 100))
      controller.close()
    },
  })
  return app.handle(new Request(`http://localhost${path}`, { method: 'POST', headers: { 'content-type': contentType }, body, duplex: 'half' } as RequestInit))
}

describe('request guards', () => {
  test('a declared body over the limit is a 413 problem; one sent in chunks too, and one under it passes', async () => {
    const declared = await app.handle(new Request('http://localhost/json', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '5000' }, body: 'x'.repeat(5000) }))
    expect(declared.status).toBe(413)
    expect(declared.headers.get('content-type')).toBe('application/problem+json')
    const big = await chunked('/json', new TextEncoder().encode(JSON.stringify({ a: 'x'.repeat(2000) })), 'application/json')
    expect(big.status).toBe(413)
    expect((await big.json()).code).toBe('payload_too_large')
    const small = await chunked('/json', new TextEncoder().encode(JSON.stringify({ a: 'fine' })), 'application/json')
    expect(await small.json()).toEqual({ a: 'fine' })
  })

  test('a multipart body sent in chunks is parsed like one with a length (the boundary kept)', async () => {
    const form = new FormData()
    form.set('name', 'kettle')
    form.set('file', new Blob(['x'.repeat(300)]), 'kettle.png')
    const request = new Request('http://localhost/form', { method: 'POST', body: form })
    const contentType = request.headers.get('content-type')!
    const res = await chunked('/form', new Uint8Array(await request.arrayBuffer()), contentType)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ name: 'kettle', size: 300 })
  })

  test('JSON nested past the limit is a 400 before it is parsed; the depth scan ignores brackets inside strings', async () => {
    expect(jsonDepth('{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')).toBe(1)
    expect(jsonDepth('[[["\\"]]]"]]]')).toBe(3)
    const deep = '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1)
    const res = await app.handle(new Request('http://localhost/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"a":${deep}}` }))
    expect(res.status).toBe(400)
    expect((await res.json()).detail).toContain('nested more than 32 levels')
    const ok = '['.repeat(MAX_JSON_DEPTH - 1) + ']'.repeat(MAX_JSON_DEPTH - 1)
    expect((await app.handle(new Request('http://localhost/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"a":${ok}}` }))).status).toBe(200)
  })

  test('a NUL character in the body, the query or the path is a 422 naming where', async () => {
    const body = await app.handle(new Request('http://localhost/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":{"b":["ok","x\\u0000"]}}' }))
    expect(body.status).toBe(422)
    expect((await body.json()).errors).toEqual([{ field: 'a.b.1', message: 'must not contain a NUL character' }])
    const query = await app.handle(new Request('http://localhost/items/1?q=a%00b'))
    expect((await query.json()).errors[0].field).toBe('q')
    const path = await app.handle(new Request('http://localhost/items/a%00b'))
    expect((await path.json()).errors[0].field).toBe('id')
    const surrogate = await app.handle(new Request('http://localhost/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":"x\\ud800y"}' }))
    expect(surrogate.status).toBe(422)
    expect((await surrogate.json()).errors).toEqual([{ field: 'a', message: 'must be valid Unicode text (it holds an unpaired surrogate)' }])
    const paired = await app.handle(new Request('http://localhost/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":"\\ud83d\\ude00"}' }))
    expect(await paired.json()).toEqual({ a: '😀' })
  })

  test('malformed percent-encoding in the path is a 400 problem', async () => {
    for (const path of ['/items/%', '/items/%E0%A4%A', '/%zz']) {
      const res = await app.handle(new Request(`http://localhost${path}`))
      expect({ path, status: res.status, type: res.headers.get('content-type') }).toEqual({ path, status: 400, type: 'application/problem+json' })
    }
  })
})
