/**
 * The bridge: one typed function per operation, exposed to the page as `window.shop`. The page
 * never sees ipcRenderer, tokens or the file system.
 */
import { contextBridge, ipcRenderer } from 'electron'
import type { AdminOrderEvent, OrderEvent, ShopApi, WalletEvent } from '../shared/api.ts'
import {
  ADMIN_EVENTS_CHANNEL,
  ADMIN_EVENTS_SUBSCRIBE,
  ADMIN_EVENTS_UNSUBSCRIBE,
  CART_LOAD,
  CART_SAVE,
  EVENTS_CHANNEL,
  EVENTS_SUBSCRIBE,
  EVENTS_UNSUBSCRIBE,
  WALLET_EVENTS_CHANNEL,
  WALLET_EVENTS_SUBSCRIBE,
  WALLET_EVENTS_UNSUBSCRIBE,
} from '../shared/operations.ts'

export const bridge: ShopApi = {
  getServerUrl: () => ipcRenderer.invoke('shop:getServerUrl'),
  setServerUrl: (url) => ipcRenderer.invoke('shop:setServerUrl', url),
  session: () => ipcRenderer.invoke('shop:session'),
  register: (input) => ipcRenderer.invoke('shop:register', input),
  login: (input) => ipcRenderer.invoke('shop:login', input),
  logout: () => ipcRenderer.invoke('shop:logout'),
  wallet: () => ipcRenderer.invoke('shop:wallet'),
  createWallet: (currency) => ipcRenderer.invoke('shop:createWallet', currency),
  topUp: (amount) => ipcRenderer.invoke('shop:topUp', amount),
  topUpStatus: (id) => ipcRenderer.invoke('shop:topUpStatus', id),
  transactions: (cursor) => ipcRenderer.invoke('shop:transactions', cursor),
  products: (query) => ipcRenderer.invoke('shop:products', query),
  product: (id) => ipcRenderer.invoke('shop:product', id),
  categories: () => ipcRenderer.invoke('shop:categories'),
  currencies: () => ipcRenderer.invoke('shop:currencies'),
  reviews: (productId, sort, cursor) => ipcRenderer.invoke('shop:reviews', productId, sort, cursor),
  reviewSummary: (productId) => ipcRenderer.invoke('shop:reviewSummary', productId),
  myReview: (productId) => ipcRenderer.invoke('shop:myReview', productId),
  writeReview: (input) => ipcRenderer.invoke('shop:writeReview', input),
  orders: (cursor) => ipcRenderer.invoke('shop:orders', cursor),
  order: (id) => ipcRenderer.invoke('shop:order', id),
  placeOrder: (items, shippingAddress) => ipcRenderer.invoke('shop:placeOrder', items, shippingAddress),
  addresses: () => ipcRenderer.invoke('shop:addresses'),
  addAddress: (input) => ipcRenderer.invoke('shop:addAddress', input),
  deleteAddress: (id) => ipcRenderer.invoke('shop:deleteAddress', id),
  updateMe: (changes) => ipcRenderer.invoke('shop:updateMe', changes),
  cancelOrder: (id) => ipcRenderer.invoke('shop:cancelOrder', id),
  requestReturn: (id, reason) => ipcRenderer.invoke('shop:requestReturn', id, reason),
  adminStats: (timeZone) => ipcRenderer.invoke('shop:adminStats', timeZone),
  adminOrders: (query) => ipcRenderer.invoke('shop:adminOrders', query),
  adminSystem: () => ipcRenderer.invoke('shop:adminSystem'),
  adminUser: (id) => ipcRenderer.invoke('shop:adminUser', id),
  lowStock: (threshold) => ipcRenderer.invoke('shop:lowStock', threshold),
  shipOrder: (id, shipment) => ipcRenderer.invoke('shop:shipOrder', id, shipment),
  deliverOrder: (id) => ipcRenderer.invoke('shop:deliverOrder', id),
  receiveReturn: (id) => ipcRenderer.invoke('shop:receiveReturn', id),
  adminProducts: (query) => ipcRenderer.invoke('shop:adminProducts', query),
  adminProduct: (id) => ipcRenderer.invoke('shop:adminProduct', id),
  createProduct: (input) => ipcRenderer.invoke('shop:createProduct', input),
  updateProduct: (id, changes) => ipcRenderer.invoke('shop:updateProduct', id, changes),
  uploadImage: (productId, file) => ipcRenderer.invoke('shop:uploadImage', productId, file),
  deleteImage: (productId, imageId) => ipcRenderer.invoke('shop:deleteImage', productId, imageId),
  reorderImages: (productId, imageIds) => ipcRenderer.invoke('shop:reorderImages', productId, imageIds),
  supply: (input) => ipcRenderer.invoke('shop:supply', input),
  adjustStock: (input) => ipcRenderer.invoke('shop:adjustStock', input),
  movements: (productId, cursor) => ipcRenderer.invoke('shop:movements', productId, cursor),
  adminUsers: (q, cursor) => ipcRenderer.invoke('shop:adminUsers', q, cursor),
  adminWallet: (userId) => ipcRenderer.invoke('shop:adminWallet', userId),
  adminReviews: (query) => ipcRenderer.invoke('shop:adminReviews', query),
  setReviewHidden: (id, hidden) => ipcRenderer.invoke('shop:setReviewHidden', id, hidden),
  onOrderEvent: (listener) => subscribe<OrderEvent>(EVENTS_CHANNEL, EVENTS_SUBSCRIBE, EVENTS_UNSUBSCRIBE, listener),
  onWalletEvent: (listener) => subscribe<WalletEvent>(WALLET_EVENTS_CHANNEL, WALLET_EVENTS_SUBSCRIBE, WALLET_EVENTS_UNSUBSCRIBE, listener),
  onAdminOrderEvent: (listener) => subscribe<AdminOrderEvent>(ADMIN_EVENTS_CHANNEL, ADMIN_EVENTS_SUBSCRIBE, ADMIN_EVENTS_UNSUBSCRIBE, listener),
}

/** Events pushed by main on `channel`; main streams them while the page listens. */
function subscribe<T>(channel: string, start: string, stop: string, listener: (event: T) => void): () => void {
  const forward = (_event: unknown, data: T) => listener(data)
  ipcRenderer.on(channel, forward)
  void ipcRenderer.invoke(start)
  return () => {
    ipcRenderer.removeListener(channel, forward)
    if (ipcRenderer.listenerCount(channel) === 0) void ipcRenderer.invoke(stop)
  }
}

/** The cart file: the page reads it at start and writes every change (window.shopCart). */
export const cartBridge = {
  load: (): Promise<unknown[]> => ipcRenderer.invoke(CART_LOAD),
  save: (lines: unknown[]): Promise<void> => ipcRenderer.invoke(CART_SAVE, lines),
}

contextBridge.exposeInMainWorld('shop', bridge)
contextBridge.exposeInMainWorld('shopCart', cartBridge)
