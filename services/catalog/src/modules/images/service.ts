import type { Sql } from '@shop/shared/data/db'
import { ConflictError, NotFoundError, ValidationFailedError } from '@shop/shared/http/errors'
import type { Logger } from '@shop/shared/runtime/logger'
import { lockById } from '../products/repository.ts'
import { processImage } from './process.ts'
import * as repo from './repository.ts'

/** An image as the API shows it (paths under the API's origin; the first of a product's is its main one). */
export interface Image {
  id: string
  url: string
  thumbnailUrl: string
  width: number
  height: number
  thumbnailWidth: number
  thumbnailHeight: number
}

export function toImage(meta: repo.ImageMeta): Image {
  return { ...meta, url: `/api/images/${meta.id}`, thumbnailUrl: `/api/images/${meta.id}/thumbnail` }
}

export function createImagesService(deps: { sql: Sql; log: Logger }) {
  const { sql, log } = deps
  return {
    /** Adds `file` (PNG, JPEG or WebP, at most 5 MB: else 415 / 413) as the product's last image. */
    async add(productId: string, file: Blob | undefined): Promise<Image> {
      if (!(file instanceof Blob)) throw new ValidationFailedError('file: must be an image file', [{ field: 'file', message: 'must be an image file' }])
      // Outside the transaction: encoding takes tens of milliseconds.
      const processed = await processImage(new Uint8Array(await file.arrayBuffer()))
      const meta = await sql.begin(async (tx) => {
        if (!(await lockById(tx, productId))) throw new NotFoundError('No such product')
        const inserted = await repo.insert(tx, productId, { id: Bun.randomUUIDv7(), ...processed })
        if (!inserted) throw new ConflictError(`A product holds at most ${repo.MAX_IMAGES_PER_PRODUCT} images; delete one first`, 'image_limit_reached')
        return inserted
      })
      log.info('product image added', { productId, imageId: meta.id, bytes: processed.image.byteLength, thumbnailBytes: processed.thumbnail.byteLength })
      return toImage(meta)
    },

    async remove(productId: string, imageId: string): Promise<void> {
      if (!(await repo.remove(sql, productId, imageId))) throw new NotFoundError('No such image of this product')
      log.info('product image deleted', { productId, imageId })
    },

    /** Puts the product's images in this order (the first becomes the main one): every image of the product, each once (else 409). */
    async reorder(productId: string, imageIds: string[]): Promise<{ items: Image[] }> {
      const metas = await sql.begin(async (tx) => {
        if (!(await lockById(tx, productId))) throw new NotFoundError('No such product')
        const current = await repo.idsOf(tx, productId)
        const given = new Set(imageIds.map((id) => id.toLowerCase()))
        if (given.size !== imageIds.length || given.size !== current.length || !current.every((id) => given.has(id)))
          throw new ConflictError("The order must list each of the product's images once (they changed meanwhile?)", 'images_changed')
        return repo.reorder(tx, productId, imageIds)
      })
      log.info('product images reordered', { productId, imageIds })
      return { items: metas.map(toImage) }
    },

    async bytes(id: string, which: 'image' | 'thumbnail'): Promise<Uint8Array> {
      const bytes = await repo.bytesOf(sql, id, which)
      if (!bytes) throw new NotFoundError('No such image')
      return bytes
    },
  }
}

export type ImagesService = ReturnType<typeof createImagesService>
