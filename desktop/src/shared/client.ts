/**
 * The shop client: HTTP calls to the gateway with the access token, refresh on expiry (the
 * refresh token is rotated on every use), Idempotency-Keys from `PendingActions` on every
 * money-moving call, and the live order stream (fetch-based SSE, resumed with Last-Event-ID).
 * The web build runs it in the page; Electron runs it in the main process, so tokens never reach
 * the renderer there.
 */
import {
  ApiError,
  type AdminOrderEvent,
  type AdminOrderQuery,
  type AdminProductQuery,
  type AdminReview,
  type AdminReviewQuery,
  type AdjustmentInput,
  type CreateProduct,
  type Image,
  type Movement,
  type Supply,
  type SupplyInput,
  type UpdateProduct,
  type UserListItem,
  type Category,
  type CurrencyUse,
  type LedgerEntry,
  type LowStockItem,
  type Order,
  type OrderEvent,
  type OrderStats,
  type SystemStatus,
  type Page,
  type PendingAction,
  type Problem,
  type Product,
  type ProductQuery,
  type ReviewSort,
  type ShopApi,
  type TopUp,
  type User,
  type Wallet,
  type WalletEvent,
} from './api.ts'
import type { Address, CreateAddress, CreateOrder, ShipOrder, UpdateMe, CreateReview, Login, MyReview, RatingSummary, Register, Review, Tokens, Problem as WireProblem } from './api-types.gen.ts'
import { PendingActions, isFinalAnswer, type PendingStorage } from './pending-actions.ts'

/** `?a=1&b=x` of the defined values (empty when none is). */
function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(values)) if (value !== undefined && value !== '') params.set(name, String(value))
  const text = params.toString()
  return text ? `?${text}` : ''
}

/** Where the refresh token lives between runs (encrypted on disk in Electron). */
export interface TokenStorage {
  load(): Promise<string | null>
  save(refreshToken: string | null): Promise<void>
}

export interface ClientOptions {
  serverUrl: string
  tokens: TokenStorage
  pending: PendingStorage
  /** Persists a changed server URL. */
  saveServerUrl?: (url: string) => Promise<void>
  fetch?: (url: string, init?: RequestInit) => Promise<Response>
}

const NETWORK_PROBLEM: Problem = { status: 0, code: 'network_error', detail: 'The shop cannot be reached. Check your connection and the server address.' }

export class ShopClient implements ShopApi {
  private serverUrl: string
  private accessToken: string | null = null
  private user: User | null = null
  private refreshing: Promise<boolean> | undefined
  private readonly pending: PendingActions
  private readonly http: (url: string, init?: RequestInit) => Promise<Response>

  constructor(private readonly options: ClientOptions) {
    this.serverUrl = options.serverUrl.replace(/\/+$/, '')
    this.pending = new PendingActions(options.pending)
    // Bound: a bare window.fetch called as a method throws "Illegal invocation".
    this.http = options.fetch ?? ((input, init) => fetch(input, init))
  }

  async getServerUrl() {
    return this.serverUrl
  }

  async setServerUrl(url: string) {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new ApiError({ status: 422, code: 'validation_failed', detail: 'The server address must be a URL like http://localhost:8080' })
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new ApiError({ status: 422, code: 'validation_failed', detail: 'The server address must start with http:// or https://' })
    this.serverUrl = parsed.origin
    this.accessToken = null
    this.user = null
    this.endSession()
    await this.options.tokens.save(null)
    await this.options.saveServerUrl?.(this.serverUrl)
  }

  // --- HTTP -----------------------------------------------------------------------------------

  private async send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    try {
      return await this.http(`${this.serverUrl}${path}`, {
        method,
        headers: {
          // A form (an image upload) sets its own multipart type and boundary.
          ...(body === undefined || body instanceof FormData ? {} : { 'content-type': 'application/json' }),
          ...(this.accessToken ? { authorization: `Bearer ${this.accessToken}` } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
      })
    } catch {
      throw new ApiError(NETWORK_PROBLEM)
    }
  }

  private async problemOf(response: Response): Promise<Problem> {
    const text = await response.text().catch(() => '')
    try {
      const body = JSON.parse(text) as Partial<WireProblem>
      if (typeof body.detail === 'string')
        return { status: response.status, code: body.code ?? 'error', detail: body.detail, errors: body.errors, title: body.title }
    } catch {}
    return {
      status: response.status,
      code: 'server_error',
      detail: response.status >= 500 ? 'The shop had a problem answering. Please try again in a moment.' : `The request failed (${response.status}).`,
    }
  }

  /** A call that needs the user: refreshes the access token once on a 401. */
  private async call<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    let response = await this.send(method, path, body, headers)
    if (response.status === 401 && (await this.refresh())) response = await this.send(method, path, body, headers)
    if (!response.ok) throw new ApiError(await this.problemOf(response))
    return (response.status === 204 ? undefined : await response.json()) as T
  }

  /** A money-moving call: one Idempotency-Key per action until the server has answered. */
  private async once<T>(kind: PendingAction['kind'], fingerprint: string, method: string, path: string, body?: unknown): Promise<T> {
    const key = await this.pending.begin(kind, fingerprint)
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.call<T>(method, path, body, { 'idempotency-key': key })
        await this.pending.complete(key)
        return result
      } catch (error) {
        // The same action is still running (a double click): wait for its answer, then replay it.
        if (error instanceof ApiError && error.problem.code === 'idempotency_key_in_flight' && attempt < 40) {
          await new Promise((resolve) => setTimeout(resolve, 250))
          continue
        }
        if (error instanceof ApiError && isFinalAnswer(error.problem.status, error.problem.code)) await this.pending.complete(key)
        throw error
      }
    }
  }

  private async refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      const refreshToken = await this.options.tokens.load()
      if (!refreshToken) return false
      const response = await this.send('POST', '/api/auth/refresh', { refreshToken }).catch(() => undefined)
      if (!response?.ok) {
        if (response && response.status < 500) await this.options.tokens.save(null)
        this.accessToken = null
        return false
      }
      const tokens = (await response.json()) as Tokens
      this.accessToken = tokens.accessToken
      await this.options.tokens.save(tokens.refreshToken)
      return true
    })().finally(() => {
      this.refreshing = undefined
    })
    return this.refreshing
  }

  // --- Session --------------------------------------------------------------------------------

  async session(): Promise<User | null> {
    if (this.user) return this.user
    if (!this.accessToken && !(await this.refresh())) return null
    try {
      this.user = await this.call<User>('GET', '/api/users/me')
      return this.user
    } catch (error) {
      if (error instanceof ApiError && error.problem.status === 401) return null
      throw error
    }
  }

  async register(input: Register) {
    await this.call('POST', '/api/auth/register', input)
  }

  async login(input: Login): Promise<User> {
    const tokens = await this.call<Tokens>('POST', '/api/auth/login', input)
    // A new session: nothing of the last one's stream (its position belongs to another user).
    this.endSession()
    this.accessToken = tokens.accessToken
    await this.options.tokens.save(tokens.refreshToken)
    this.user = null
    const user = (await this.session())!
    if (this.listeners.size > 0) this.stopStream = this.customerStream()
    if (this.adminListeners.size > 0) this.stopAdminStream = this.adminStream()
    return user
  }

  async logout() {
    const refreshToken = await this.options.tokens.load()
    if (refreshToken) await this.send('POST', '/api/auth/logout', { refreshToken }).catch(() => {})
    await this.options.tokens.save(null)
    this.accessToken = null
    this.user = null
    this.endSession()
  }

  /**
   * Stops the event stream and forgets where it was: the next user's stream starts from their
   * own present (a kept Last-Event-ID would make the server skip their first events).
   */
  private endSession(): void {
    this.stopStream?.()
    this.stopStream = undefined
    this.lastEventId = undefined
    this.stopAdminStream?.()
    this.stopAdminStream = undefined
  }

  // --- Wallet ---------------------------------------------------------------------------------

  async wallet(): Promise<Wallet | null> {
    try {
      return await this.call<Wallet>('GET', '/api/wallet')
    } catch (error) {
      if (error instanceof ApiError && error.problem.code === 'no_wallet') return null
      throw error
    }
  }

  createWallet(currency: string) {
    return this.call<Wallet>('POST', '/api/wallet', { currency })
  }


  topUp(amount: number) {
    return this.once<TopUp>('top-up', `amount:${amount}`, 'POST', '/api/wallet/top-ups', { amount })
  }

  topUpStatus(id: string) {
    return this.call<TopUp>('GET', `/api/wallet/top-ups/${encodeURIComponent(id)}`)
  }

  transactions(cursor?: string) {
    return this.call<Page<LedgerEntry>>('GET', `/api/wallet/transactions?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
  }

  // --- Catalog --------------------------------------------------------------------------------

  /** The product with its image URLs made absolute (in Electron the page is not served by the shop). */
  private at(url: string) {
    return url.startsWith('/') ? `${this.serverUrl}${url}` : url
  }

  private absoluteImage(image: Image): Image {
    return { ...image, url: this.at(image.url), thumbnailUrl: this.at(image.thumbnailUrl) }
  }

  private absolute(product: Product): Product {
    return { ...product, imageUrl: product.imageUrl && this.at(product.imageUrl), images: product.images.map((i) => this.absoluteImage(i)) }
  }

  async products(q: ProductQuery) {
    const page = await this.call<Page<Product>>('GET', `/api/products${query({ limit: 24, ...q })}`)
    return { ...page, items: page.items.map((p) => this.absolute(p)) }
  }

  async product(id: string) {
    return this.absolute(await this.call<Product>('GET', `/api/products/${encodeURIComponent(id)}`))
  }

  // --- Reviews --------------------------------------------------------------------------------

  reviews(productId: string, sort?: ReviewSort, cursor?: string) {
    const params = new URLSearchParams({ productId, limit: '10' })
    if (sort) params.set('sort', sort)
    if (cursor) params.set('cursor', cursor)
    return this.call<Page<Review>>('GET', `/api/reviews?${params}`)
  }

  reviewSummary(productId: string) {
    return this.call<RatingSummary>('GET', `/api/reviews/summary?productId=${encodeURIComponent(productId)}`)
  }

  myReview(productId: string) {
    return this.call<MyReview>('GET', `/api/reviews/mine?productId=${encodeURIComponent(productId)}`)
  }

  writeReview(input: CreateReview) {
    return this.call<Review>('POST', '/api/reviews', input)
  }

  async categories() {
    return (await this.call<Page<Category>>('GET', '/api/categories')).items
  }

  async currencies() {
    return (await this.call<Page<CurrencyUse>>('GET', '/api/currencies')).items
  }

  // --- Orders ---------------------------------------------------------------------------------

  orders(cursor?: string) {
    return this.call<Page<Order>>('GET', `/api/orders?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
  }

  order(id: string) {
    return this.call<Order>('GET', `/api/orders/${encodeURIComponent(id)}`)
  }

  placeOrder(items: CreateOrder['items'], shippingAddress?: CreateAddress) {
    // The same cart to the same address is the same action (its key is reused until answered).
    const fingerprint = items.map((i) => `${i.productId}x${i.quantity}`).sort().join(',') + (shippingAddress ? `@${JSON.stringify(shippingAddress)}` : '')
    return this.once<Order>('order', fingerprint, 'POST', '/api/orders', { items, ...(shippingAddress ? { shippingAddress } : {}) })
  }

  // --- Address book ---------------------------------------------------------------------------

  async addresses() {
    return (await this.call<Page<Address>>('GET', '/api/users/me/addresses')).items
  }

  addAddress(input: CreateAddress) {
    return this.call<Address>('POST', '/api/users/me/addresses', input)
  }

  async deleteAddress(id: string) {
    await this.call<void>('DELETE', `/api/users/me/addresses/${encodeURIComponent(id)}`)
  }

  async updateMe(changes: UpdateMe) {
    this.user = await this.call<User>('PATCH', '/api/users/me', changes)
    return this.user
  }

  cancelOrder(id: string) {
    return this.once<Order>('cancel', id, 'POST', `/api/orders/${encodeURIComponent(id)}/cancel`)
  }

  requestReturn(id: string, reason: string) {
    return this.once<Order>('return', id, 'POST', `/api/orders/${encodeURIComponent(id)}/return`, { reason })
  }

  // --- The owner's console ----------------------------------------------------------------------

  adminStats(timeZone?: string) {
    return this.call<OrderStats>('GET', `/api/admin/orders/stats${query({ timeZone })}`)
  }

  adminOrders(q: Pick<AdminOrderQuery, 'status' | 'number' | 'userId' | 'cursor'>) {
    return this.call<Page<Order>>('GET', `/api/admin/orders${query(q)}`)
  }

  adminUser(id: string) {
    return this.call<User>('GET', `/api/users/${encodeURIComponent(id)}`)
  }

  adminSystem() {
    return this.call<SystemStatus>('GET', '/api/admin/system')
  }

  lowStock(threshold?: number) {
    return this.call<Page<LowStockItem>>('GET', `/api/inventory/low-stock${query({ threshold })}`)
  }

  shipOrder(id: string, shipment: ShipOrder) {
    return this.once<Order>('ship', id, 'POST', `/api/orders/${encodeURIComponent(id)}/ship`, shipment)
  }

  deliverOrder(id: string) {
    return this.once<Order>('deliver', id, 'POST', `/api/orders/${encodeURIComponent(id)}/deliver`)
  }

  receiveReturn(id: string) {
    return this.once<Order>('receive', id, 'POST', `/api/orders/${encodeURIComponent(id)}/return/receive`)
  }

  async adminProducts(q: Pick<AdminProductQuery, 'q' | 'status' | 'category' | 'sort' | 'cursor'>) {
    const page = await this.call<Page<Product>>('GET', `/api/inventory/products${query({ limit: 24, ...q })}`)
    return { ...page, items: page.items.map((p) => this.absolute(p)) }
  }

  async adminProduct(id: string) {
    return this.absolute(await this.call<Product>('GET', `/api/inventory/products/${encodeURIComponent(id)}`))
  }

  async createProduct(input: CreateProduct) {
    return this.absolute(await this.call<Product>('POST', '/api/products', input))
  }

  async updateProduct(id: string, changes: UpdateProduct) {
    return this.absolute(await this.call<Product>('PATCH', `/api/products/${encodeURIComponent(id)}`, changes))
  }

  async uploadImage(productId: string, file: { name: string; type: string; bytes: Uint8Array }) {
    const form = new FormData()
    form.append('file', new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.type }), file.name)
    return this.absoluteImage(await this.call<Image>('POST', `/api/products/${encodeURIComponent(productId)}/images`, form))
  }

  async deleteImage(productId: string, imageId: string) {
    await this.call<void>('DELETE', `/api/products/${encodeURIComponent(productId)}/images/${encodeURIComponent(imageId)}`)
  }

  async reorderImages(productId: string, imageIds: string[]) {
    const list = await this.call<{ items: Image[] }>('PUT', `/api/products/${encodeURIComponent(productId)}/images/order`, { imageIds })
    return list.items.map((i) => this.absoluteImage(i))
  }

  supply(input: SupplyInput) {
    return this.once<Supply>('supply', JSON.stringify(input), 'POST', '/api/inventory/supplies', input)
  }

  adjustStock(input: AdjustmentInput) {
    return this.once<Movement>('adjust', JSON.stringify(input), 'POST', '/api/inventory/adjustments', input)
  }

  movements(productId?: string, cursor?: string) {
    return this.call<Page<Movement>>('GET', `/api/inventory/movements${query({ productId, cursor })}`)
  }

  adminUsers(q: string, cursor?: string) {
    return this.call<Page<UserListItem>>('GET', `/api/admin/users${query({ q, cursor })}`)
  }

  async adminWallet(userId: string): Promise<Wallet | null> {
    try {
      return await this.call<Wallet>('GET', `/api/admin/wallets/${encodeURIComponent(userId)}`)
    } catch (error) {
      if (error instanceof ApiError && error.problem.code === 'no_wallet') return null
      throw error
    }
  }

  adminReviews(q: Pick<AdminReviewQuery, 'hidden' | 'productId' | 'cursor'>) {
    return this.call<Page<AdminReview>>('GET', `/api/admin/reviews${query({ hidden: q.hidden === undefined ? undefined : String(q.hidden), productId: q.productId, cursor: q.cursor })}`)
  }

  setReviewHidden(id: string, hidden: boolean) {
    return this.call<AdminReview>('POST', `/api/reviews/${encodeURIComponent(id)}/${hidden ? 'hide' : 'unhide'}`)
  }

  // --- Live order events ----------------------------------------------------------------------

  private listeners = new Set<(event: OrderEvent) => void>()
  private walletListeners = new Set<(event: WalletEvent) => void>()
  private stopStream: (() => void) | undefined
  private lastEventId: string | undefined
  private adminListeners = new Set<(event: AdminOrderEvent) => void>()
  private stopAdminStream: (() => void) | undefined

  onOrderEvent(listener: (event: OrderEvent) => void): () => void {
    return this.onCustomerStream(this.listeners, listener)
  }

  /** Settled top-ups, from the same stream as the order events (one connection for both). */
  onWalletEvent(listener: (event: WalletEvent) => void): () => void {
    return this.onCustomerStream(this.walletListeners, listener)
  }

  /** The customer's stream runs while anyone listens to its orders or its wallet. */
  private onCustomerStream<T>(set: Set<(event: T) => void>, listener: (event: T) => void): () => void {
    set.add(listener)
    this.stopStream ??= this.customerStream()
    return () => {
      set.delete(listener)
      if (this.listeners.size === 0 && this.walletListeners.size === 0) {
        this.stopStream?.()
        this.stopStream = undefined
      }
    }
  }

  /** The owner's stream (no replay: the console reads its lists again on each event). */
  onAdminOrderEvent(listener: (event: AdminOrderEvent) => void): () => void {
    this.adminListeners.add(listener)
    this.stopAdminStream ??= this.adminStream()
    return () => {
      this.adminListeners.delete(listener)
      if (this.adminListeners.size === 0) {
        this.stopAdminStream?.()
        this.stopAdminStream = undefined
      }
    }
  }

  private customerStream() {
    return this.runStream('/api/orders/events', true, (name, data, id) => {
      if (name === 'wallet') {
        for (const l of this.walletListeners) l(data as WalletEvent)
        return
      }
      if (id) this.lastEventId = id
      for (const l of this.listeners) l(data as OrderEvent)
    })
  }

  private adminStream() {
    return this.runStream('/api/admin/orders/events', false, (name, data) => {
      if (name !== 'order') return
      for (const l of this.adminListeners) l(data as AdminOrderEvent)
    })
  }

  /** Keeps one event stream open, reconnecting with backoff and (when `resume`) resuming where it stopped. */
  private runStream(path: string, resume: boolean, deliver: (name: string, data: unknown, id: string | undefined) => void): () => void {
    let stopped = false
    let controller: AbortController | undefined
    void (async () => {
      let delay = 500
      while (!stopped) {
        controller = new AbortController()
        try {
          if (!this.accessToken) await this.refresh()
          const response = await this.http(`${this.serverUrl}${path}`, {
            headers: {
              accept: 'text/event-stream',
              ...(this.accessToken ? { authorization: `Bearer ${this.accessToken}` } : {}),
              ...(resume && this.lastEventId ? { 'last-event-id': this.lastEventId } : {}),
            },
            signal: controller.signal,
          })
          if (response.status === 401) await this.refresh()
          else if (response.ok && response.body) {
            delay = 500
            // The server ends the stream when the token that opened it expires: come back at once
            // with a fresh one (and the last id seen, so nothing is missed).
            if ((await this.readEvents(response.body, deliver)) === 'token_expired' && !stopped && (await this.refresh())) continue
          } else await response.body?.cancel()
        } catch {}
        if (!stopped) await new Promise((r) => setTimeout(r, delay))
        delay = Math.min(delay * 2, 10_000)
      }
    })()
    return () => {
      stopped = true
      controller?.abort()
    }
  }

  /** Reads events (`order`, `wallet`) until the stream ends; returns why the server ended it, if it said. */
  private async readEvents(body: ReadableStream<Uint8Array>, deliver: (name: string, data: unknown, id: string | undefined) => void): Promise<string | undefined> {
    const reader = body.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    let ended: string | undefined
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return ended
      buffer += decoder.decode(value, { stream: true })
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        let id: string | undefined
        let name = 'message'
        let data = ''
        for (const line of block.split('\n')) {
          if (line.startsWith('id:')) id = line.slice(3).trim()
          else if (line.startsWith('event:')) name = line.slice(6).trim()
          else if (line.startsWith('data:')) data += line.slice(5).trim()
        }
        if (!data) continue
        if (name === 'end') {
          try {
            ended = (JSON.parse(data) as { reason?: string }).reason
          } catch {}
          continue
        }
        if (name !== 'order' && name !== 'wallet') continue
        let event: unknown
        try {
          event = JSON.parse(data)
        } catch {
          continue
        }
        deliver(name, event, id)
      }
    }
  }
}
