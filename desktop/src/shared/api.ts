/**
 * What the renderer can ask for. Electron implements it in the main process behind the preload
 * bridge (one function per operation); the web build implements it in the page itself
 * (`renderer/api-browser.ts`). The renderer never knows which one it has.
 */

export interface Problem {
  status: number
  code: string
  title?: string
  detail: string
  errors?: { field: string; message: string }[]
}

/** A failed call: always a problem with a readable `detail`, never a raw dump. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail)
    this.name = 'ApiError'
  }
}

export interface User {
  id: string
  email: string
  name: string
  role: 'customer' | 'admin'
}

export interface Wallet {
  id: string
  currency: string
  balance: number
  available: number
}

export interface LedgerEntry {
  id: string
  kind: 'deposit' | 'payment' | 'refund'
  amount: number
  currency: string
  balanceAfter: number
  orderId: string | null
  createdAt: string
}

export interface Product {
  id: string
  name: string
  description: string
  category: string
  price: number
  currency: string
  imageUrl: string | null
  stock: number
  available: number
}

export type OrderStatus = 'NEW' | 'PAID' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED'

export interface Order {
  id: string
  status: OrderStatus
  reason: string | null
  items: { productId: string; name: string; quantity: number; unitPrice: number }[]
  total: number
  currency: string
  refundStatus: 'requested' | 'refunded' | null
  createdAt: string
  history: { seq: number; event: string; status: OrderStatus; reason: string | null; at: string }[]
}

export interface OrderEvent {
  seq: number
  orderId: string
  event: string
  status: OrderStatus
  reason: string | null
  at: string
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export interface ProductQuery {
  q?: string
  category?: string
  sort?: 'relevance' | 'price' | '-price' | 'name' | 'newest'
  cursor?: string
}

/** An action that moves money or makes an order, with the Idempotency-Key it keeps until answered. */
export interface PendingAction {
  key: string
  kind: 'deposit' | 'order' | 'cancel'
  /** What the action is about (amount, items, order id), so a retry of the same action reuses the key. */
  fingerprint: string
  startedAt: string
}

export interface ShopApi {
  getServerUrl(): Promise<string>
  setServerUrl(url: string): Promise<void>
  /** The signed-in user, or null. */
  session(): Promise<User | null>
  register(input: { email: string; password: string; name: string }): Promise<void>
  login(input: { email: string; password: string }): Promise<User>
  logout(): Promise<void>

  wallet(): Promise<Wallet | null>
  createWallet(currency: string): Promise<Wallet>
  /** Tops up by `amount` minor units; the key is reused until the server has answered. */
  deposit(amount: number): Promise<LedgerEntry>
  transactions(cursor?: string): Promise<Page<LedgerEntry>>

  products(query: ProductQuery): Promise<Page<Product>>
  categories(): Promise<{ name: string; productCount: number }[]>

  orders(cursor?: string): Promise<Page<Order>>
  order(id: string): Promise<Order>
  placeOrder(items: { productId: string; quantity: number }[]): Promise<Order>
  cancelOrder(id: string): Promise<Order>
  /** Live order changes; returns the function that stops them. */
  onOrderEvent(listener: (event: OrderEvent) => void): () => void
}
