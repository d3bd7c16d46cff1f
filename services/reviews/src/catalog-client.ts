/**
 * Whether the catalog has a product: asked only when this service has never heard of it (nobody
 * received or rated it), to tell an unknown product (404) from one nobody may review yet. The
 * catalog's public product route answers; a product once found is remembered.
 */
import { ServiceUnavailableError } from '@shop/shared/http/errors'
import { instanceFetch } from '@shop/shared/http/instances'

export interface CatalogClient {
  productExists(productId: string): Promise<boolean>
}

const REMEMBERED = 10_000

export function createCatalogClient(options: { baseUrl: string | readonly string[]; timeoutMs?: number }): CatalogClient {
  const known = new Set<string>()
  const call = instanceFetch(options.baseUrl)
  return {
    async productExists(productId) {
      const id = productId.toLowerCase()
      if (known.has(id)) return true
      let res: Response
      try {
        res = await call(`/api/products/${id}`, {}, options.timeoutMs ?? 5000)
      } catch {
        throw new ServiceUnavailableError('The catalog could not be asked whether the product exists')
      }
      await res.body?.cancel()
      if (res.status === 404) return false
      if (!res.ok) throw new ServiceUnavailableError(`The catalog answered ${res.status} when asked about the product`)
      if (known.size >= REMEMBERED) known.clear()
      known.add(id)
      return true
    },
  }
}
