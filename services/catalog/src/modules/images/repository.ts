import type { Db } from '@shop/shared/data/db'
import type { ProcessedImage } from './process.ts'

/** An image as products carry it: no bytes. */
export interface ImageMeta {
  id: string
  width: number
  height: number
  thumbnailWidth: number
  thumbnailHeight: number
}

/** The most images one product holds. */
export const MAX_IMAGES_PER_PRODUCT = 20

/** Adds the image last among the product's; undefined when the product holds MAX_IMAGES_PER_PRODUCT already. */
export async function insert(db: Db, productId: string, image: ProcessedImage & { id: string }): Promise<ImageMeta | undefined> {
  const [row] = await db<ImageMeta[]>`
    insert into product_images (id, product_id, position, image, width, height, thumbnail, thumbnail_width, thumbnail_height)
    select ${image.id}, ${productId}, coalesce(max(position), -1) + 1, ${image.image}, ${image.width}, ${image.height},
           ${image.thumbnail}, ${image.thumbnailWidth}, ${image.thumbnailHeight}
    from product_images where product_id = ${productId}
    having count(*) < ${MAX_IMAGES_PER_PRODUCT}
    returning id, width, height, thumbnail_width, thumbnail_height`
  return row
}

export async function remove(db: Db, productId: string, imageId: string): Promise<boolean> {
  const rows = await db`delete from product_images where id = ${imageId} and product_id = ${productId} returning 1`
  return rows.length > 0
}

/** The bytes of an image or of its thumbnail; undefined when there is no such image. */
export async function bytesOf(db: Db, id: string, which: 'image' | 'thumbnail'): Promise<Uint8Array | undefined> {
  const [row] = await db<{ bytes: Uint8Array }[]>`select ${db(which)} as bytes from product_images where id = ${id}`
  return row?.bytes
}

/** The product's image ids in their order. */
export async function idsOf(db: Db, productId: string): Promise<string[]> {
  const rows = await db<{ id: string }[]>`select id from product_images where product_id = ${productId} order by position, id`
  return rows.map((r) => r.id)
}

/** Puts the product's images in the order of `ids` (every one of its images, each once). */
export async function reorder(db: Db, productId: string, ids: string[]): Promise<ImageMeta[]> {
  await db`
    update product_images p set position = o.n - 1
    from unnest(${ids}::uuid[]) with ordinality as o (id, n)
    where p.id = o.id and p.product_id = ${productId}`
  return db<ImageMeta[]>`
    select id, width, height, thumbnail_width, thumbnail_height from product_images where product_id = ${productId} order by position, id`
}
