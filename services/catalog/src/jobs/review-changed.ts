import type { Handler } from '@shop/shared/messaging/consumer'
import type { Logger } from '@shop/shared/runtime/logger'
import { setRating } from '../modules/products/repository.ts'

/**
 * `review.changed`: the product's rating becomes the one the event carries, when it is newer than
 * the one kept (its `version`): a repeat, or an event overtaken by a later one, changes nothing.
 * A product the catalog does not have only logs.
 */
export const reviewChanged =
  (deps: { log: Logger }): Handler<'review.changed'> =>
  async (tx, event) => {
    const { productId, rating } = event.payload
    const written = await setRating(tx, productId, rating)
    if (!written) deps.log.debug('product rating kept (a newer one is here, or no such product)', { productId, version: rating.version })
  }
