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
