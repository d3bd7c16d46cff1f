/**
 * Orders' client of the catalog's internal reservation routes. Catalog's own 409/422 problems
 * pass through to the customer (out of stock, unknown product); anything else is a 503.
 */
import { SERVICE_TOKEN_HEADER } from '@shop/shared/http/auth'
import { traceHeaders } from '@shop/shared/runtime/tracing'
import { AppError, ServiceUnavailableError } from '@shop/shared/http/errors'
import { REQUEST_ID_HEADER } from '@shop/shared/http/observability'
import { instanceFetch } from '@shop/shared/http/instances'

export interface ReservedItem {
  productId: string
  name: string
  quantity: number
  unitPrice: number
  currency: string
}

export interface ReservationAnswer {
  orderId: string
  status: 'reserved' | 'committed' | 'released' | 'restocked'
  items: ReservedItem[]
  total: number
  currency: string | null
}

export interface CatalogClient {
  reserve(orderId: string, items: { productId: string; quantity: number }[], requestId?: string): Promise<ReservationAnswer>
  release(orderId: string, requestId?: string): Promise<void>
  /** The order ended without keeping its goods: released or restocked, once (a repeat is fine). */
  giveBack(orderId: string, cause: 'cancelled' | 'returned'): Promise<void>
  /** The order was paid: its stock leaves (a repeat, or a reservation released meanwhile, is fine). */
  commit(orderId: string, requestId?: string): Promise<void>
  /** Reservations still reserved after `olderThanSeconds`, oldest first. */
  staleReservations(olderThanSeconds: number, limit: number): Promise<string[]>
}

export function createCatalogClient(options: { baseUrl: string | readonly string[]; internalToken: string; timeoutMs?: number }): CatalogClient {
  const timeoutMs = options.timeoutMs ?? 5000
  // Every call here is idempotent by order id, so one the first instance cannot take goes to the next.
  const call = instanceFetch(options.baseUrl)

  async function send(method: 'GET' | 'POST', path: string, body: unknown, requestId: string | undefined): Promise<Response> {
    try {
      return await call(path, {
        method,
        headers: {
          'content-type': 'application/json',
          [SERVICE_TOKEN_HEADER]: options.internalToken,
          // The reservation joins the order's trace (nothing when tracing is off).
          ...traceHeaders(),
          ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }, timeoutMs)
    } catch {
      throw new ServiceUnavailableError('The catalog is unavailable; try again shortly')
    }
  }
  const post = (path: string, body: unknown, requestId: string | undefined) => send('POST', path, body, requestId)

  async function passThrough(response: Response): Promise<never> {
    const problem = (await response.json().catch(() => undefined)) as { code?: string; detail?: string } | undefined
    if ((response.status === 409 || response.status === 422) && problem?.code)
      throw new AppError(response.status, problem.code, problem.detail ?? 'The catalog refused the items')
    throw new ServiceUnavailableError('The catalog could not reserve the items; try again shortly')
  }

  return {
    async reserve(orderId, items, requestId) {
      const response = await post('/internal/reservations', { orderId, items }, requestId)
      if (response.status === 200 || response.status === 201) return (await response.json()) as ReservationAnswer
      return passThrough(response)
    },
    async release(orderId, requestId) {
      const response = await post(`/internal/reservations/${orderId}/release`, undefined, requestId)
      // 409: committed (the order was paid) — nothing to give back.
      if (response.ok || response.status === 409) return
      throw new ServiceUnavailableError(`The catalog could not release order ${orderId} (${response.status})`)
    },
    async commit(orderId, requestId) {
      const response = await post(`/internal/reservations/${orderId}/commit`, undefined, requestId)
      // 409: released (the order was cancelled first) — nothing to take.
      if (response.ok || response.status === 409) return
      throw new ServiceUnavailableError(`The catalog could not commit order ${orderId} (${response.status})`)
    },
    async giveBack(orderId, cause) {
      const response = await post(`/internal/reservations/${orderId}/give-back`, { cause }, undefined)
      if (response.ok) return
      throw new ServiceUnavailableError(`The catalog could not give back the stock of order ${orderId} (${response.status})`)
    },
    async staleReservations(olderThanSeconds, limit) {
      const response = await send('GET', `/internal/reservations?olderThanSeconds=${olderThanSeconds}&limit=${limit}`, undefined, undefined)
      if (!response.ok) throw new ServiceUnavailableError(`The catalog could not list reservations (${response.status})`)
      return ((await response.json()) as { items: { orderId: string }[] }).items.map((i) => i.orderId)
    },
  }
}
