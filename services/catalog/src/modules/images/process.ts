/**
 * An uploaded image made fit to serve: the format read from its bytes (never from a file name or a
 * header), PNG, JPEG or WebP only; turned upright (EXIF orientation) and re-encoded to WebP, which
 * drops its metadata (a phone photo's GPS position); at most 1600 px on its longer side, and a
 * thumbnail of at most 400 px. A decompression bomb is refused by its pixel count before decoding.
 */
import { AppError } from '@shop/shared/http/errors'
import { MAX_IMAGE_BYTES } from '@shop/shared/http/uploads'

export const ACCEPTED_FORMATS = ['png', 'jpeg', 'webp'] as const
const FULL_PX = 1600
const THUMBNAIL_PX = 400
/** 50 megapixels: a 5 MB file may claim far more, and decoding it would take gigabytes. */
const MAX_INPUT_PIXELS = 50_000_000

export class UnsupportedImageError extends AppError<'unsupported_media_type'> {
  constructor() {
    super(415, 'unsupported_media_type', `The file must be a PNG, JPEG or WebP image`)
  }
}

export class ImageTooLargeError extends AppError<'payload_too_large'> {
  constructor() {
    super(413, 'payload_too_large', `The image is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB`)
  }
}

export interface ProcessedImage {
  image: Buffer
  width: number
  height: number
  thumbnail: Buffer
  thumbnailWidth: number
  thumbnailHeight: number
}

/**
 * sharp (libvips, native), loaded on the first upload: a catalog process that only serves pages
 * never loads it (loaded at start, it cost the search 0.3 ms of CPU per request: bun run
 * bench:catalog-search).
 */
const loadSharp = () => import('sharp').then((m) => m.default)

export async function processImage(bytes: Uint8Array): Promise<ProcessedImage> {
  if (bytes.byteLength > MAX_IMAGE_BYTES) throw new ImageTooLargeError()
  const sharp = await loadSharp()
  let format: string | undefined
  let pixels = 0
  try {
    const meta = await sharp(bytes).metadata()
    format = meta.format
    pixels = (meta.width ?? 0) * (meta.height ?? 0)
  } catch {
    throw new UnsupportedImageError()
  }
  if (!ACCEPTED_FORMATS.includes(format as never)) throw new UnsupportedImageError()
  if (pixels > MAX_INPUT_PIXELS) throw new AppError(422, 'image_too_many_pixels', `The image has more than ${MAX_INPUT_PIXELS / 1_000_000} megapixels`)
  const render = (px: number, quality: number) =>
    sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS })
      .rotate()
      .resize({ width: px, height: px, fit: 'inside', withoutEnlargement: true })
      .webp({ quality })
      .toBuffer({ resolveWithObject: true })
  try {
    const [full, thumb] = await Promise.all([render(FULL_PX, 82), render(THUMBNAIL_PX, 75)])
    return {
      image: full.data,
      width: full.info.width,
      height: full.info.height,
      thumbnail: thumb.data,
      thumbnailWidth: thumb.info.width,
      thumbnailHeight: thumb.info.height,
    }
  } catch {
    // The header read, the pixels not (a truncated or corrupt file).
    throw new AppError(422, 'image_unreadable', 'The image could not be read (truncated or corrupt)')
  }
}
