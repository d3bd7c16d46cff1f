import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import sharp from 'sharp'
import { call } from '@shop/shared/testing'
import { MAX_IMAGE_BYTES } from '@shop/shared/http/uploads'
import { createTestCatalog, type TestCatalog } from '../../testing.ts'

let t: TestCatalog
beforeAll(async () => {
  t = await createTestCatalog()
})
afterAll(() => t.close())

/** An image of `width` × `height` in `format`, made here. */
const picture = (format: 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff', width = 1200, height = 900) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 90, b: 40 } } })
    .toFormat(format)
    .toBuffer()

async function upload(productId: string, bytes: Uint8Array | string, options: { token?: string; name?: string; type?: string } = {}) {
  const form = new FormData()
  form.append('file', new File([bytes as BlobPart], options.name ?? 'photo.png', { type: options.type ?? 'image/png' }))
  const headers: Record<string, string> = {}
  const token = options.token === undefined ? t.adminToken : options.token
  if (token) headers.authorization = `Bearer ${token}`
  const res = await t.app.handle(new Request(`http://localhost/api/products/${productId}/images`, { method: 'POST', headers, body: form }))
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

async function fetchImage(path: string, headers: Record<string, string> = {}) {
  const res = await t.app.handle(new Request(`http://localhost${path}`, { headers }))
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) }
}

describe('product images', () => {
  test('PNG, JPEG and WebP are stored as WebP with a thumbnail; the product lists them in order, the first as imageUrl', async () => {
    const p = await t.product()
    const added = []
    for (const format of ['png', 'jpeg', 'webp'] as const) {
      const res = await upload(p.id, await picture(format), { name: `photo.${format}`, type: `image/${format}` })
      expect(res.status).toBe(201)
      expect(res.body).toMatchObject({ url: `/api/images/${res.body.id}`, thumbnailUrl: `/api/images/${res.body.id}/thumbnail`, width: 1200, height: 900, thumbnailWidth: 400, thumbnailHeight: 300 })
      added.push(res.body.id as string)
    }
    const product = (await call(t.app, 'GET', `/api/products/${p.id}`)).body
    expect(product.images.map((i: { id: string }) => i.id)).toEqual(added)
    expect(product.imageUrl).toBe(`/api/images/${added[0]}`)
    const listed = (await call(t.app, 'GET', '/api/products?limit=100')).body.items.find((x: { id: string }) => x.id === p.id)
    expect(listed.images).toHaveLength(3)
    const full = await fetchImage(product.images[0].url)
    expect(full.status).toBe(200)
    expect(full.headers.get('content-type')).toBe('image/webp')
    expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(await sharp(full.bytes).metadata()).toMatchObject({ format: 'webp', width: 1200, height: 900 })
    const thumb = await fetchImage(product.images[0].thumbnailUrl)
    expect(await sharp(thumb.bytes).metadata()).toMatchObject({ format: 'webp', width: 400, height: 300 })
    expect(thumb.bytes.byteLength).toBeLessThan(full.bytes.byteLength)
  })

  test('a large photo is scaled to 1600 px, turned upright, and loses its metadata', async () => {
    const p = await t.product()
    // 3000 × 2000, EXIF orientation 6 (taken rotated), with metadata a phone would add.
    const photo = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#3a6' } })
      .jpeg()
      .withMetadata({ orientation: 6, exif: { IFD0: { Make: 'PhoneCo', Copyright: 'secret place' } } })
      .toBuffer()
    const res = await upload(p.id, photo, { name: 'IMG_0001.jpg', type: 'image/jpeg' })
    expect(res.status).toBe(201)
    expect([res.body.width, res.body.height]).toEqual([1067, 1600])
    const stored = await fetchImage(res.body.url)
    const meta = await sharp(stored.bytes).metadata()
    expect([meta.width, meta.height, meta.exif, meta.orientation]).toEqual([1067, 1600, undefined, undefined])
  })

  test('another type is 415, whatever the file calls itself; over 5 MB is 413; not an image at all 415', async () => {
    const p = await t.product()
    expect((await upload(p.id, await picture('gif', 50, 50), { name: 'x.png', type: 'image/png' })).status).toBe(415)
    expect((await upload(p.id, await picture('tiff', 50, 50))).status).toBe(415)
    const text = await upload(p.id, 'hello, not an image', { name: 'x.png' })
    expect([text.status, text.body.code]).toEqual([415, 'unsupported_media_type'])
    const svg = await upload(p.id, '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', { name: 'x.svg', type: 'image/svg+xml' })
    expect(svg.status).toBe(415)
    // Just over 5 MB: random bytes after a PNG header (the route counts before it decodes).
    const big = new Uint8Array(MAX_IMAGE_BYTES + 1)
    big.set(await picture('png', 10, 10))
    const tooBig = await upload(p.id, big)
    expect([tooBig.status, tooBig.body.code]).toEqual([413, 'payload_too_large'])
    // Far over (the body itself beyond what an upload may send): 413 before anything is read.
    const huge = await upload(p.id, new Uint8Array(MAX_IMAGE_BYTES * 2))
    expect(huge.status).toBe(413)
    expect((await call(t.app, 'GET', `/api/products/${p.id}`)).body.images).toEqual([])
  })

  test('a truncated image is a 422; a missing file field a 422; an unknown product 404; a customer 403; no token 401', async () => {
    const p = await t.product()
    const png = await picture('png')
    expect((await upload(p.id, png.subarray(0, 200))).status).toBe(422)
    const form = new FormData()
    form.append('picture', new File([png], 'x.png', { type: 'image/png' }))
    const noFile = await t.app.handle(new Request(`http://localhost/api/products/${p.id}/images`, { method: 'POST', headers: { authorization: `Bearer ${t.adminToken}` }, body: form }))
    expect(noFile.status).toBe(422)
    expect((await upload(crypto.randomUUID(), png)).status).toBe(404)
    expect((await upload(p.id, png, { token: await t.tokens.sign(crypto.randomUUID(), 'customer') })).status).toBe(403)
    expect((await upload(p.id, png, { token: '' })).status).toBe(401)
  })

  test('delete: 204, gone from the product and from its URL; another product\'s image is 404 there', async () => {
    const [a, b] = [await t.product(), await t.product()]
    const img = (await upload(a.id, await picture('png', 40, 40))).body
    expect((await call(t.app, 'DELETE', `/api/products/${b.id}/images/${img.id}`, { token: t.adminToken })).status).toBe(404)
    expect((await call(t.app, 'DELETE', `/api/products/${a.id}/images/${img.id}`, { token: t.adminToken })).status).toBe(204)
    expect((await call(t.app, 'GET', `/api/products/${a.id}`)).body).toMatchObject({ images: [], imageUrl: null })
    expect((await fetchImage(img.url)).status).toBe(404)
    expect((await call(t.app, 'DELETE', `/api/products/${a.id}/images/${img.id}`, { token: t.adminToken })).status).toBe(404)
  })

  test('served with its id as ETag: If-None-Match is a 304 without the bytes; an unknown id 404, a bad one 422', async () => {
    const p = await t.product()
    const img = (await upload(p.id, await picture('png', 40, 40))).body
    const first = await fetchImage(img.url)
    const etag = first.headers.get('etag')!
    expect(etag).toBe(`"${img.id}"`)
    const again = await fetchImage(img.url, { 'if-none-match': etag })
    expect([again.status, again.bytes.byteLength]).toEqual([304, 0])
    const thumbEtag = (await fetchImage(img.thumbnailUrl)).headers.get('etag')
    expect(thumbEtag).not.toBe(etag)
    expect((await fetchImage(`/api/images/${crypto.randomUUID()}`)).status).toBe(404)
    expect((await fetchImage('/api/images/nope')).status).toBe(422)
  })
})
