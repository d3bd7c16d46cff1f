/**
 * What the renderer can ask for. Electron implements it in the main process behind the preload
 * bridge (one function per operation); the web build implements it in the page itself
 * (`renderer/api-browser.ts`). The renderer never knows which one it has.
 */

import type * as Wire from './api-types.gen.ts'
import type { Address, AdminOrderEvent, AdminReview, Category, Image, Movement, Supply, UserListItem, CurrencyUse, LedgerEntry, LowStockItem, MyReview, Order, OrderEvent, OrderStats, Page, Product, RatingSummary, Review, SystemStatus, TopUp, User, Wallet, WalletEvent } from './api-types.gen.ts'

/**
 * What crosses the wire is typed once, from the services' own schemas: api-types.gen.ts, written
 * by `bun run gen:api-types` (tests/api-types.test.ts fails when it is stale). A field renamed or
 * retyped in a service fails the desktop's typecheck where the app uses it, not on a screen.
 */
export type {
  Address,
  AdminReview,
  AdminProductQuery,
  AdminReviewQuery,
  AdjustmentInput,
  CreateProduct,
  Image,
  Movement,
  Supply,
  SupplyInput,
  UpdateProduct,
  UserListItem,
  AdminOrderEvent,
  AdminOrderQuery,
  CancelReason,
  Category,
  CurrencyUse,
  HistoryEntry,
  LedgerEntry,
  LowStockItem,
  MyReview,
  Order,
  OrderEvent,
  OrderStats,
  TopUp,
  WalletEvent,
  OrderStatus,
  Page,
  Product,
  RatingSummary,
  Review,
  SystemStatus,
  Tokens,
  User,
  Wallet,
} from './api-types.gen.ts'

/**
 * A problem as the app holds it: the server's (RFC 9457, `Wire.Problem`) or one the client made
 * (`status` 0: no answer at all; `title` then absent).
 */
export type Problem = Pick<Wire.Problem, 'status' | 'code' | 'detail' | 'errors'> & { title?: Wire.Problem['title'] }

/** A failed call: always a problem with a readable `detail`, never a raw dump. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail)
    this.name = 'ApiError'
  }
}

/** What the catalog screen may ask for (the rest of GET /api/products' query is the client's). */
export type ProductQuery = Pick<Wire.ProductListQuery, 'q' | 'category' | 'sort' | 'cursor'>

export type ReviewSort = NonNullable<Wire.ReviewListQuery['sort']>

/** An action that moves money or makes an order, with the Idempotency-Key it keeps until answered. */
export interface PendingAction {
  key: string
  kind: 'deposit' | 'top-up' | 'order' | 'cancel' | 'return' | 'ship' | 'deliver' | 'receive' | 'supply' | 'adjust'
  /** What the action is about (amount, items, order id), so a retry of the same action reuses the key. */
  fingerprint: string
  startedAt: string
}

export interface ShopApi {
  getServerUrl(): Promise<string>
  setServerUrl(url: string): Promise<void>
  /** The signed-in user, or null. */
  session(): Promise<User | null>
  register(input: Wire.Register): Promise<void>
  login(input: Wire.Login): Promise<User>
  logout(): Promise<void>

  wallet(): Promise<Wallet | null>
  createWallet(currency: Wire.CreateWallet['currency']): Promise<Wallet>
  /**
   * Tops up through the shop's payment provider (the wallet's `topUpProvider`): demo answers
   * succeeded at once; Stripe answers pending with the `clientSecret` its card form confirms.
   * The key is reused until the server has answered, so a retry never starts a second payment.
   */
  topUp(amount: Wire.CreateTopUp['amount']): Promise<TopUp>
  /** A top-up of the caller's and where it stands. */
  topUpStatus(id: string): Promise<TopUp>
  transactions(cursor?: string): Promise<Page<LedgerEntry>>

  /** Products; their image URLs are absolute (the server's), so they load in Electron too. */
  products(query: ProductQuery): Promise<Page<Product>>
  product(id: string): Promise<Product>
  categories(): Promise<Category[]>
  /** The currencies the shop's products are priced in, most products first. */
  currencies(): Promise<CurrencyUse[]>

  reviews(productId: string, sort?: ReviewSort, cursor?: string): Promise<Page<Review>>
  reviewSummary(productId: string): Promise<RatingSummary>
  /** Whether the signed-in customer may review the product, or why not. */
  myReview(productId: string): Promise<MyReview>
  writeReview(input: Wire.CreateReview): Promise<Review>

  orders(cursor?: string): Promise<Page<Order>>
  order(id: string): Promise<Order>
  /** Places the order (shipped to `shippingAddress` when given); the key is kept until answered. */
  placeOrder(items: Wire.CreateOrder['items'], shippingAddress?: Wire.CreateAddress): Promise<Order>
  /** The signed-in customer's address book. */
  addresses(): Promise<Address[]>
  addAddress(input: Wire.CreateAddress): Promise<Address>
  deleteAddress(id: string): Promise<void>
  /** Changes the signed-in user's name, email or password (the last two need the current password). */
  updateMe(changes: Wire.UpdateMe): Promise<User>
  cancelOrder(id: string): Promise<Order>
  /** Asks to send a delivered order back (within the shop's return window). */
  requestReturn(id: string, reason: string): Promise<Order>
  /** Live order changes; returns the function that stops them. */
  onOrderEvent(listener: (event: OrderEvent) => void): () => void
  /** Top-ups as they settle (the provider confirmed, or refused), on the same live stream. */
  onWalletEvent(listener: (event: WalletEvent) => void): () => void

  // The owner's console (an admin's token; a customer gets 403 problems).
  /** The dashboard's figures; days begin at midnight in `timeZone` (IANA). */
  adminStats(timeZone?: string): Promise<OrderStats>
  /** Every customer's orders, newest first; `status` filters, `number` finds one (`1042` or `#1042`). */
  adminOrders(query: Pick<Wire.AdminOrderQuery, 'status' | 'number' | 'userId' | 'cursor'>): Promise<Page<Order>>
  /** Any user, by id (the customer of an order). */
  adminUser(id: string): Promise<User>
  /** Each queue's jobs and dead letters, and which processes are ready. */
  adminSystem(): Promise<SystemStatus>
  /** Products with at most `threshold` available. */
  lowStock(threshold?: number): Promise<Page<LowStockItem>>
  /** The next steps of an order; each keeps its Idempotency-Key until answered, like a payment. */
  shipOrder(id: string, shipment: Wire.ShipOrder): Promise<Order>
  deliverOrder(id: string): Promise<Order>
  receiveReturn(id: string): Promise<Order>
  /** Every product, active or not, with the shop's search, category, sort and pages. */
  adminProducts(query: Pick<Wire.AdminProductQuery, 'q' | 'status' | 'category' | 'sort' | 'cursor'>): Promise<Page<Product>>
  adminProduct(id: string): Promise<Product>
  createProduct(input: Wire.CreateProduct): Promise<Product>
  updateProduct(id: string, changes: Wire.UpdateProduct): Promise<Product>
  /** Adds a picture (PNG, JPEG or WebP bytes, at most 5 MB) as the product's last. */
  uploadImage(productId: string, file: { name: string; type: string; bytes: Uint8Array }): Promise<Image>
  deleteImage(productId: string, imageId: string): Promise<void>
  /** The product's pictures in this order (every one, once); the first is the main one. */
  reorderImages(productId: string, imageIds: string[]): Promise<Image[]>
  /** A delivery of goods (stock rises); the key is kept until answered. */
  supply(input: Wire.SupplyInput): Promise<Supply>
  /** Stock changed by `delta` with a reason; the key is kept until answered. */
  adjustStock(input: Wire.AdjustmentInput): Promise<Movement>
  /** The stock ledger, newest first (one product's with `productId`). */
  movements(productId?: string, cursor?: string): Promise<Page<Movement>>
  /** Users whose email or name starts with `q`. */
  adminUsers(q: string, cursor?: string): Promise<Page<UserListItem>>
  /** A customer's wallet (null when they have none), read only. */
  adminWallet(userId: string): Promise<Wallet | null>
  /** Reviews for moderation, newest first; `hidden` narrows to hidden or visible ones. */
  adminReviews(query: Pick<Wire.AdminReviewQuery, 'hidden' | 'productId' | 'cursor'>): Promise<Page<AdminReview>>
  setReviewHidden(id: string, hidden: boolean): Promise<AdminReview>
  /** Every customer's order changes, live; returns the function that stops them. */
  onAdminOrderEvent(listener: (event: AdminOrderEvent) => void): () => void
}
