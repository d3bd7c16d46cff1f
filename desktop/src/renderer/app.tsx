import { useEffect, useState } from 'preact/hooks'
import type { Order, OrderEvent, Product, User } from '../shared/api.ts'
import { api } from './api.ts'
import { AuthScreen } from './screens/auth.tsx'
import { CartScreen, type CartLine } from './screens/cart.tsx'
import { CatalogScreen } from './screens/catalog.tsx'
import { OrderDetail, OrdersScreen } from './screens/orders.tsx'
import { WalletScreen } from './screens/wallet.tsx'
import { ErrorBox, Loading } from './ui.tsx'

type Route = { name: 'catalog' } | { name: 'cart' } | { name: 'orders' } | { name: 'order'; id: string } | { name: 'wallet' }

function parseRoute(hash: string): Route {
  const [, name, id] = hash.replace(/^#\/?/, '').match(/^([a-z]*)\/?(.*)$/) ?? []
  if (name === 'orders' && id) return { name: 'order', id }
  if (name === 'cart' || name === 'orders' || name === 'wallet') return { name }
  return { name: 'catalog' }
}

const go = (path: string) => (location.hash = path)

export function App() {
  const [user, setUser] = useState<User | null | undefined>(undefined)
  const [error, setError] = useState<unknown>(null)
  const [route, setRoute] = useState<Route>(parseRoute(location.hash))
  const [cart, setCart] = useState<CartLine[]>([])
  const [tick, setTick] = useState(0)
  const [toast, setToast] = useState<string | null>(null)

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash))
    addEventListener('hashchange', onHash)
    api.session().then(setUser, (e) => (setError(e), setUser(null)))
    return () => removeEventListener('hashchange', onHash)
  }, [])

  // Live order changes: every screen showing orders or money reloads, and a short notice shows.
  useEffect(() => {
    if (!user) return
    return api.onOrderEvent((event: OrderEvent) => {
      setTick((t) => t + 1)
      if (event.event === 'paid') setToast('An order was paid')
      else if (event.event === 'cancelled') setToast('An order was cancelled')
      else if (event.event === 'refunded') setToast('A refund reached your wallet')
    })
  }, [user])

  useEffect(() => {
    if (!toast) return
    const timer = setTimeout(() => setToast(null), 4000)
    return () => clearTimeout(timer)
  }, [toast])

  if (user === undefined) return <Loading label="Starting…" />
  if (user === null)
    return (
      <>
        <ErrorBox error={error} />
        <AuthScreen onSignedIn={(u) => (setUser(u), setError(null), go('/'))} />
      </>
    )

  const add = (product: Product) =>
    setCart((lines) => {
      const line = lines.find((l) => l.product.id === product.id)
      return line ? lines.map((l) => (l === line ? { ...l, quantity: l.quantity + 1 } : l)) : [...lines, { product, quantity: 1 }]
    })
  const setQuantity = (productId: string, quantity: number) =>
    setCart((lines) => (quantity <= 0 ? lines.filter((l) => l.product.id !== productId) : lines.map((l) => (l.product.id === productId ? { ...l, quantity } : l))))
  const count = cart.reduce((n, l) => n + l.quantity, 0)

  return (
    <>
      <header>
        <strong class="brand">Shop</strong>
        <nav>
          <a href="#/" class={route.name === 'catalog' ? 'active' : ''}>
            Products
          </a>
          <a href="#/cart" class={route.name === 'cart' ? 'active' : ''}>
            Cart{count > 0 ? ` (${count})` : ''}
          </a>
          <a href="#/orders" class={route.name === 'orders' || route.name === 'order' ? 'active' : ''}>
            Orders
          </a>
          <a href="#/wallet" class={route.name === 'wallet' ? 'active' : ''}>
            Wallet
          </a>
        </nav>
        <span class="user">
          {user.name}{' '}
          <button class="link" onClick={async () => (await api.logout(), setUser(null), setCart([]))}>
            Sign out
          </button>
        </span>
      </header>
      {toast && (
        <div class="toast" role="status">
          {toast}
        </div>
      )}
      {route.name === 'catalog' && <CatalogScreen onAdd={add} inCart={(id) => cart.find((l) => l.product.id === id)?.quantity ?? 0} />}
      {route.name === 'cart' && (
        <CartScreen
          lines={cart}
          setQuantity={setQuantity}
          onOrdered={(order: Order) => {
            setCart([])
            go(`/orders/${order.id}`)
          }}
        />
      )}
      {route.name === 'orders' && <OrdersScreen refreshKey={tick} open={(id) => go(`/orders/${id}`)} />}
      {route.name === 'order' && <OrderDetail id={route.id} refreshKey={tick} back={() => go('/orders')} />}
      {route.name === 'wallet' && <WalletScreen refreshKey={tick} />}
    </>
  )
}
