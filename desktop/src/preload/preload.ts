/**
 * The bridge: one typed function per operation, exposed to the page as `window.shop`. The page
 * never sees ipcRenderer, tokens or the file system.
 */
import { contextBridge, ipcRenderer } from 'electron'
import type { OrderEvent, ShopApi } from '../shared/api.ts'
import { CART_LOAD, CART_SAVE, EVENTS_CHANNEL, EVENTS_SUBSCRIBE, EVENTS_UNSUBSCRIBE } from '../shared/operations.ts'

export const bridge: ShopApi = {
  getServerUrl: () => ipcRenderer.invoke('shop:getServerUrl'),
  setServerUrl: (url) => ipcRenderer.invoke('shop:setServerUrl', url),
  session: () => ipcRenderer.invoke('shop:session'),
  register: (input) => ipcRenderer.invoke('shop:register', input),
  login: (input) => ipcRenderer.invoke('shop:login', input),
  logout: () => ipcRenderer.invoke('shop:logout'),
  wallet: () => ipcRenderer.invoke('shop:wallet'),
  createWallet: (currency) => ipcRenderer.invoke('shop:createWallet', currency),
  deposit: (amount) => ipcRenderer.invoke('shop:deposit', amount),
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
  onOrderEvent(listener) {
    const forward = (_event: unknown, orderEvent: OrderEvent) => listener(orderEvent)
    ipcRenderer.on(EVENTS_CHANNEL, forward)
    void ipcRenderer.invoke(EVENTS_SUBSCRIBE)
    return () => {
      ipcRenderer.removeListener(EVENTS_CHANNEL, forward)
      if (ipcRenderer.listenerCount(EVENTS_CHANNEL) === 0) void ipcRenderer.invoke(EVENTS_UNSUBSCRIBE)
    }
  },
}

/** The cart file: the page reads it at start and writes every change (window.shopCart). */
export const cartBridge = {
  load: (): Promise<unknown[]> => ipcRenderer.invoke(CART_LOAD),
  save: (lines: unknown[]): Promise<void> => ipcRenderer.invoke(CART_SAVE, lines),
}

contextBridge.exposeInMainWorld('shop', bridge)
contextBridge.exposeInMainWorld('shopCart', cartBridge)
