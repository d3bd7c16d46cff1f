import { Elysia, t } from 'elysia'
import type { authPlugin } from '@shop/shared/http/auth'
import { Problem } from '@shop/shared/http/errors'
import type { ImagesService } from './service.ts'

export const ImageSchema = t.Object({
  id: t.String({ format: 'uuid' }),
  /** The image (WebP, at most 1600 px on its longer side), a path under the API's origin. */
  url: t.String(),
  /** The thumbnail (WebP, at most 400 px). */
  thumbnailUrl: t.String(),
  width: t.Integer(),
  height: t.Integer(),
  thumbnailWidth: t.Integer(),
  thumbnailHeight: t.Integer(),
})

/** A product's images in their order. */
export const ImageList = t.Object({ items: t.Array(ImageSchema) })

const ProductImageParams = t.Object({
  id: t.String({ format: 'uuid', error: 'must be a UUID' }),
  imageId: t.String({ format: 'uuid', error: 'must be a UUID' }),
})
const ImageIdParams = t.Object({ id: t.String({ format: 'uuid', error: 'must be a UUID' }) })

/** An image never changes (a new upload is a new id): a year in every cache, and its id as its ETag. */
const IMMUTABLE = 'public, max-age=31536000, immutable'

function serve(bytes: Uint8Array, id: string, ifNoneMatch: string | undefined): Response {
  const etag = `"${id}"`
  if (ifNoneMatch?.split(',').some((tag) => tag.trim() === etag || tag.trim() === `W/${etag}` || tag.trim() === '*'))
    return new Response(null, { status: 304, headers: { etag, 'cache-control': IMMUTABLE } })
  return new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'image/webp', etag, 'cache-control': IMMUTABLE, 'content-length': String(bytes.byteLength) } })
}

export function imageRoutes(images: ImagesService, auth: ReturnType<typeof authPlugin>) {
  return new Elysia({ name: 'catalog.images', detail: { tags: ['images'] } })
    .use(auth)
    .post('/api/products/:id/images', async ({ params, body, status }) => status(201, await images.add(params.id, body.file)), {
      auth: 'admin',
      params: t.Object({ id: t.String({ format: 'uuid', error: 'must be a UUID' }) }),
      body: t.Object({ file: t.File({ description: 'PNG, JPEG or WebP, at most 5 MB' }) }),
      response: { 201: ImageSchema, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 413: Problem, 415: Problem, 422: Problem },
      detail: {
        summary:
          'Admin: add an image (multipart/form-data, field file): PNG, JPEG or WebP up to 5 MB (415 other types, 413 larger), stored as WebP with a thumbnail; the first is the main image',
      },
    })
    .delete(
      '/api/products/:id/images/:imageId',
      async ({ params, set }) => {
        await images.remove(params.id, params.imageId)
        set.status = 204
      },
      {
        auth: 'admin',
        params: ProductImageParams,
        response: { 204: t.Void(), 401: Problem, 403: Problem, 404: Problem, 422: Problem },
        detail: { summary: "Admin: delete one of the product's images" },
      },
    )
    .put('/api/products/:id/images/order', ({ params, body }) => images.reorder(params.id, body.imageIds), {
      auth: 'admin',
      params: t.Object({ id: t.String({ format: 'uuid', error: 'must be a UUID' }) }),
      body: t.Object(
        { imageIds: t.Array(t.String({ format: 'uuid', error: 'must be a UUID' }), { maxItems: 20, error: 'must list the image ids (at most 20)' }) },
        { additionalProperties: false },
      ),
      response: { 200: ImageList, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem },
      detail: { summary: "Admin: put the product's images in this order (the first is the main one); every image once, else 409 images_changed" },
    })
    .get('/api/images/:id', async ({ params, headers }) => serve(await images.bytes(params.id, 'image'), params.id, headers['if-none-match']), {
      params: ImageIdParams,
      response: { 200: t.String({ description: 'image/webp' }), 404: Problem, 422: Problem },
      detail: { summary: 'Public: an image (WebP), with ETag and a year-long immutable Cache-Control (304 for If-None-Match)' },
    })
    .get('/api/images/:id/thumbnail', async ({ params, headers }) => serve(await images.bytes(params.id, 'thumbnail'), `${params.id}-thumbnail`, headers['if-none-match']), {
      params: ImageIdParams,
      response: { 200: t.String({ description: 'image/webp' }), 404: Problem, 422: Problem },
      detail: { summary: "Public: an image's thumbnail (WebP, at most 400 px), cached like the image" },
    })
}
