import type { ShopApi } from './api.ts'

/** The request/answer operations that cross the Electron bridge, each on channel `shop:<name>`. */
export const OPERATIONS = [
  'getServerUrl',
  'setServerUrl',
  'session',
  'register',
  'login',
  'logout',
  'wallet',
  'createWallet',
  'topUp',
  'topUpStatus',
  'transactions',
  'products',
  'product',
  'categories',
  'currencies',
  'reviews',
  'reviewSummary',
  'myReview',
  'writeReview',
  'orders',
  'order',
  'placeOrder',
  'addresses',
  'addAddress',
  'deleteAddress',
  'updateMe',
  'cancelOrder',
  'requestReturn',
  'adminStats',
  'adminOrders',
  'adminSystem',
  'adminUser',
  'lowStock',
  'shipOrder',
  'deliverOrder',
  'receiveReturn',
  'adminProducts',
  'adminProduct',
  'createProduct',
  'updateProduct',
  'uploadImage',
  'deleteImage',
  'reorderImages',
  'supply',
  'adjustStock',
  'movements',
  'adminUsers',
  'adminWallet',
  'adminReviews',
  'setReviewHidden',
] as const satisfies readonly Exclude<keyof ShopApi, 'onOrderEvent' | 'onWalletEvent' | 'onAdminOrderEvent'>[]

export type Operation = (typeof OPERATIONS)[number]

export const channel = (operation: Operation) => `shop:${operation}`
export const EVENTS_SUBSCRIBE = 'shop:orders:subscribe'
export const EVENTS_UNSUBSCRIBE = 'shop:orders:unsubscribe'
export const EVENTS_CHANNEL = 'shop:orders:event'
/** Settled top-ups (the customer's stream too: main keeps one connection for both). */
export const WALLET_EVENTS_SUBSCRIBE = 'shop:wallet:subscribe'
export const WALLET_EVENTS_UNSUBSCRIBE = 'shop:wallet:unsubscribe'
export const WALLET_EVENTS_CHANNEL = 'shop:wallet:event'
/** The owner's stream of every customer's order changes (the console). */
export const ADMIN_EVENTS_SUBSCRIBE = 'shop:admin-orders:subscribe'
export const ADMIN_EVENTS_UNSUBSCRIBE = 'shop:admin-orders:unsubscribe'
export const ADMIN_EVENTS_CHANNEL = 'shop:admin-orders:event'

/** The cart file (Electron): read once at start, written on every change. */
export const CART_LOAD = 'shop:cart:load'
export const CART_SAVE = 'shop:cart:save'
