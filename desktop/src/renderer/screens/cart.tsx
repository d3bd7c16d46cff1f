import { useState } from 'preact/hooks'
import type { Order, Product } from '../../shared/api.ts'
import { api } from '../api.ts'
import { Empty, ErrorBox, Money } from '../ui.tsx'

export interface CartLine {
  product: Product
  quantity: number
}

export function CartScreen({
  lines,
  signedIn,
  setQuantity,
  onOrdered,
}: {
  lines: CartLine[]
  signedIn: boolean
  setQuantity: (productId: string, quantity: number) => void
  onOrdered: (order: Order) => void
}) {
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  if (lines.length === 0)
    return (
      <main>
        <h1 tabIndex={-1}>Cart</h1>
        <Empty>
          Your cart is empty. <a href="#/">Browse the products</a>
        </Empty>
      </main>
    )
  const currencies = new Set(lines.map((l) => l.product.currency))
  const currency = lines[0]!.product.currency
  const total = lines.reduce((sum, l) => sum + l.product.price * l.quantity, 0)

  async function pay() {
    setBusy(true)
    setError(null)
    try {
      // The key for this cart is kept until the server answers: a second click gets the same order.
      const order = await api.placeOrder(lines.map((l) => ({ productId: l.product.id, quantity: l.quantity })))
      onOrdered(order)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <main>
      <h1 tabIndex={-1}>Cart</h1>
      <table class="cart">
        <tbody>
          {lines.map((l) => (
            <tr key={l.product.id}>
              <td>
                <a href={`#/products/${l.product.id}`}>{l.product.name}</a>
              </td>
              <td class="qty">
                <button class="secondary" aria-label="One less" onClick={() => setQuantity(l.product.id, l.quantity - 1)}>
                  −
                </button>
                <span>{l.quantity}</span>
                <button
                  class="secondary"
                  aria-label="One more"
                  disabled={l.quantity >= l.product.available}
                  onClick={() => setQuantity(l.product.id, l.quantity + 1)}
                >
                  +
                </button>
              </td>
              <td class="num">
                <Money minor={l.product.price * l.quantity} currency={l.product.currency} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {currencies.size > 1 ? (
        <p class="error">Items priced in different currencies cannot be ordered together.</p>
      ) : (
        <p class="total">
          Total <Money minor={total} currency={currency} />
        </p>
      )}
      <p class="muted">Prices are confirmed by the shop when you pay; the wallet is charged once.</p>
      <ErrorBox error={error} />
      {signedIn ? (
        <button class="pay" onClick={pay} disabled={busy || currencies.size > 1}>
          {busy ? 'Paying…' : 'Pay'}
        </button>
      ) : (
        <p>
          <a class="button" href={`#/signin?next=${encodeURIComponent('/cart')}`}>
            Sign in to pay
          </a>{' '}
          <span class="muted">Your cart is kept.</span>
        </p>
      )}
    </main>
  )
}
