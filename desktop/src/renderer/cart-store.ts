/**
 * The cart, kept across reloads and restarts: in localStorage (in Electron that is a file in the
 * app's profile folder). Lines hold the product as it was shown; the shop re-prices an order when
 * it is placed, and the cart screen re-reads stock and prices when it opens.
 */
import type { Product } from '../shared/api.ts'

export interface StoredLine {
  product: Product
  quantity: number
}

const KEY = 'shop.cart'

export function loadCart(): StoredLine[] {
  try {
    const lines = JSON.parse(localStorage.getItem(KEY) ?? '[]') as StoredLine[]
    return Array.isArray(lines) ? lines.filter((l) => l && typeof l.quantity === 'number' && l.quantity > 0 && typeof l.product?.id === 'string') : []
  } catch {
    return []
  }
}

export function saveCart(lines: StoredLine[]): void {
  try {
    if (lines.length === 0) localStorage.removeItem(KEY)
    else localStorage.setItem(KEY, JSON.stringify(lines))
  } catch {
    // Storage full or refused (a private window): the cart lives as long as the page.
  }
}
