/**
 * The cart, kept across reloads and restarts: in localStorage in a browser, in a file in the app's
 * folder in Electron (window.shopCart, through the main process). Lines hold the product as it was
 * shown; the cart screen re-reads stock and prices when it opens, and the shop prices the order
 * itself when it is placed.
 */
import type { Product } from '../shared/api.ts'

export interface StoredLine {
  product: Product
  quantity: number
}

declare global {
  interface Window {
    /** Present in Electron: the cart file. */
    shopCart?: { load(): Promise<unknown[]>; save(lines: unknown[]): Promise<void> }
  }
}

const KEY = 'shop.cart'

/** Only well-formed lines: a file or an entry edited by hand, or from an older build, cannot break the app. */
export function validLines(value: unknown): StoredLine[] {
  if (!Array.isArray(value)) return []
  return value.filter(
    (l): l is StoredLine =>
      !!l && typeof l === 'object' && Number.isInteger(l.quantity) && l.quantity > 0 && typeof l.product?.id === 'string' && typeof l.product?.price === 'number',
  )
}

/** The stored lines now, when they can be read at once (the browser); in Electron `[]` until `loadCart`. */
export function initialCart(): StoredLine[] {
  if (window.shopCart) return []
  try {
    return validLines(JSON.parse(localStorage.getItem(KEY) ?? '[]'))
  } catch {
    return []
  }
}

/** Electron's cart file; in a browser the lines `initialCart` read. */
export async function loadCart(): Promise<StoredLine[]> {
  if (!window.shopCart) return initialCart()
  try {
    return validLines(await window.shopCart.load())
  } catch {
    return []
  }
}

export function saveCart(lines: StoredLine[]): void {
  if (window.shopCart) {
    window.shopCart.save(lines).catch(() => {})
    return
  }
  try {
    if (lines.length === 0) localStorage.removeItem(KEY)
    else localStorage.setItem(KEY, JSON.stringify(lines))
  } catch {
    // Storage full or refused (a private window): the cart lives as long as the page.
  }
}

/** Lines added before the stored cart was read, merged into it: quantities of one product add up. */
export function mergeLines(stored: StoredLine[], current: StoredLine[]): StoredLine[] {
  const merged = stored.map((l) => ({ ...l }))
  for (const line of current) {
    const same = merged.find((l) => l.product.id === line.product.id)
    if (same) (same.quantity += line.quantity), (same.product = line.product)
    else merged.push(line)
  }
  return merged
}
