import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import type { Order, OrderEvent, Product, User } from '../shared/api.ts'
import type { ComponentType } from 'preact'
import type { ConsoleProps } from './console/console.tsx'
import { noticeFor } from '../shared/notices.ts'
import { cancelReasonText } from '../shared/reasons.ts'
import { api } from './api.ts'
import { formatMoney } from './money.ts'
import { initialCart, loadCart, mergeLines, saveCart } from './cart-store.ts'
import { AuthScreen } from './screens/auth.tsx'
import { CartScreen, type CartLine } from './screens/cart.tsx'
import { CatalogScreen } from './screens/catalog.tsx'
import { OrderDetail, OrdersScreen } from './screens/orders.tsx'
import { ProductScreen } from './screens/product.tsx'
import { ProfileScreen } from './screens/profile.tsx'
import { WalletScreen } from './screens/wallet.tsx'
import { ErrorBox, NotFound, SkeletonRows } from './ui.tsx'

type Route =
  | { name: 'catalog' }
  | { name: 'product'; id: string }
  | { name: 'cart' }
  | { name: 'orders' }
  | { name: 'order'; id: string }
  | { name: 'wallet'; next?: string; amount?: string }
  | { name: 'profile' }
  | { name: 'signin'; next: string }
  | { name: 'notfound' }
  | { name: 'admin'; path: string; params: URLSearchParams }

/** Screens that need a signed-in customer; the others are open to every visitor. */
const PRIVATE = new Set<Route['name']>(['orders', 'order', 'wallet', 'profile', 'admin'])

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?')
  const [name, id] = path.split('/')
  if (name === 'orders' && id) return { name: 'order', id }
  if (name === 'products' && id) return { name: 'product', id }
  const params = new URLSearchParams(query)
  // Only a path of this app: never an address elsewhere.
  const next = (fallback?: string) => {
    const value = params.get('next')
    return value && value.startsWith('/') && !value.startsWith('//') ? value : fallback
  }
  if (name === 'admin') return { name: 'admin', path: path.split('/').slice(1).join('/'), params }
  if (name === 'signin') return { name: 'signin', next: next('/')! }
  if (name === 'wallet') return { name: 'wallet', next: next(), amount: params.get('amount') ?? undefined }
  if (name === 'cart' || name === 'orders' || name === 'profile') return { name }
  if (name === '' || name === 'products') return { name: 'catalog' }
  return { name: 'notfound' }
}

const go = (path: string) => (location.hash = path)
const TITLES: Record<Route['name'], string> = {
  catalog: 'Products',
  product: 'Product',
  cart: 'Your cart',
  orders: 'Your orders',
  order: 'Order',
  wallet: 'Your wallet',
  profile: 'Your profile',
  signin: 'Sign in',
  notfound: 'Page not found',
  admin: 'Console',
}


export function App() {
  const [user, setUser] = useState<User | null | undefined>(undefined)
  const [error, setError] = useState<unknown>(null)
  const [route, setRoute] = useState<Route>(parseRoute(location.hash))
  const [cart, setCart] = useState<CartLine[]>(initialCart)
  /** In Electron the cart file is read after the first paint: nothing is written before it was. */
  const cartRead = useRef(!window.shopCart)
  const [tick, setTick] = useState(0)
  const [toast, setToast] = useState<string | null>(null)
  const [menuOpen, setMenuOpen] = useState(false)
  /** The order the cart became: the cart empties when it is paid, and stays for a retry when it is declined. */
  const [placed, setPlaced] = useState<string | null>(null)
  const first = useRef(true)
  /** The console's chunk, loaded the first time an admin opens it; bumped on every order change while it shows. */
  const [ConsoleView, setConsoleView] = useState<ComponentType<ConsoleProps> | null>(null)
  const [consoleError, setConsoleError] = useState<unknown>(null)
  const [adminTick, setAdminTick] = useState(0)
  const isAdmin = user?.role === 'admin'
  const placedRef = useRef<string | null>(null)
  placedRef.current = placed

  useEffect(() => {
    // A new page: the menu closes and a notice about the last one goes.
    const onHash = () => (setRoute(parseRoute(location.hash)), setMenuOpen(false), setToast(null))
    addEventListener('hashchange', onHash)
    api.session().then(setUser, (e) => (setError(e), setUser(null)))
    return () => removeEventListener('hashchange', onHash)
  }, [])

  useEffect(() => {
    if (cartRead.current) return
    void loadCart().then((stored) => ((cartRead.current = true), setCart((current) => mergeLines(stored, current))))
  }, [])

  // Saved before the browser paints the change: a reload or a closed tab right after "Added" keeps it.
  useLayoutEffect(() => {
    if (cartRead.current) saveCart(cart)
  }, [cart])

  // Each screen has its own title, and focus moves to its heading (not on the first load).
  useEffect(() => {
    if (route.name !== 'product') document.title = `${TITLES[route.name]} · Shop`
    if (first.current) return void (first.current = false)
    const timer = setTimeout(() => (document.querySelector('main h1') as HTMLElement | null)?.focus(), 0)
    return () => clearTimeout(timer)
  }, [route])

  // Live order changes: every screen showing orders or money reloads, and a short notice shows.
  useEffect(() => {
    if (!user) return
    return api.onOrderEvent((event: OrderEvent) => {
      setTick((t) => t + 1)
      if (event.orderId === placedRef.current && event.event === 'paid') (setCart([]), setPlaced(null))
      if (event.orderId === placedRef.current && event.event === 'cancelled') {
        setPlaced(null)
        return setToast(`The order was declined (${event.reason ? cancelReasonText(event.reason) : 'not paid'}); your cart is kept: top up and retry`)
      }
      // The same words as Electron's native notification (shared/notices.ts).
      const notice = noticeFor(event)
      if (notice) setToast(`${notice.title}. ${notice.body}`)
    })
  }, [user])

  // A top-up settled (Stripe's webhook landed, or one made on another device): balances reload.
  useEffect(() => {
    if (!user) return
    return api.onWalletEvent((event) => {
      setTick((t) => t + 1)
      const amount = formatMoney(event.amount, event.currency)
      setToast(
        event.status === 'succeeded'
          ? `Top-up of ${amount} added to your wallet${event.demo ? ' (demo money)' : ''}`
          : event.status === 'failed'
            ? `The card payment of ${amount} failed; nothing was added`
            : `The top-up of ${amount} was cancelled; nothing was charged`,
      )
    })
  }, [user])

  useEffect(() => {
    if (!toast) return
    const timer = setTimeout(() => setToast(null), 4000)
    return () => clearTimeout(timer)
  }, [toast])

  // The console: its code arrives only for an admin who opens it; it follows every order live.
  const inConsole = isAdmin && route.name === 'admin'
  useEffect(() => {
    if (!inConsole || ConsoleView) return
    import('./console/console.tsx').then((m) => setConsoleView(() => m.default), setConsoleError)
  }, [inConsole, ConsoleView, consoleError])
  useEffect(() => {
    if (!inConsole) return
    let timer: ReturnType<typeof setTimeout> | undefined
    // An order's steps come in bursts (placed and paid within milliseconds): one read for a burst.
    const stop = api.onAdminOrderEvent(() => {
      clearTimeout(timer)
      timer = setTimeout(() => setAdminTick((t) => t + 1), 250)
    })
    return () => (clearTimeout(timer), stop())
  }, [inConsole])

  // A screen that needs an account sends the visitor to sign in, and back afterwards.
  useEffect(() => {
    if (user === null && PRIVATE.has(route.name)) go(`/signin?next=${encodeURIComponent(location.hash.replace(/^#/, '') || '/')}`)
  }, [user, route])

  const add = (product: Product, quantity = 1) =>
    setCart((lines) => {
      const line = lines.find((l) => l.product.id === product.id)
      return line ? lines.map((l) => (l === line ? { ...l, product, quantity: l.quantity + quantity } : l)) : [...lines, { product, quantity }]
    })
  const setQuantity = (productId: string, quantity: number) =>
    setCart((lines) => (quantity <= 0 ? lines.filter((l) => l.product.id !== productId) : lines.map((l) => (l.product.id === productId ? { ...l, quantity } : l))))
  const count = cart.reduce((n, l) => n + l.quantity, 0)
  const signOut = async () => (await api.logout(), setUser(null), go('/'))
  const inCart = (id: string) => cart.find((l) => l.product.id === id)?.quantity ?? 0
  const link = (href: string, label: string, active: boolean) => (
    <a href={href} class={active ? 'active' : ''} aria-current={active ? 'page' : undefined}>
      {label}
    </a>
  )

  return (
    <>
      <header>
        <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), (document.querySelector('main h1') as HTMLElement | null)?.focus())}>
          Skip to content
        </a>
        <a class="brand" href="#/">
          Shop
        </a>
        <a class="cart-phone" href="#/cart">
          Cart{count > 0 ? ` (${count})` : ''}
        </a>
        <button class="menu-toggle secondary" aria-expanded={menuOpen} aria-controls="site-nav" onClick={() => setMenuOpen((open) => !open)}>
          Menu
        </button>
        <nav id="site-nav" class={menuOpen ? 'open' : ''} aria-label="Main">
          {link('#/', 'Products', route.name === 'catalog' || route.name === 'product')}
          {link('#/cart', `Cart${count > 0 ? ` (${count})` : ''}`, route.name === 'cart')}
          {user && link('#/orders', 'Orders', route.name === 'orders' || route.name === 'order')}
          {user && link('#/wallet', 'Wallet', route.name === 'wallet')}
          {isAdmin && link('#/admin', 'Console', route.name === 'admin')}
          {user === undefined ? (
            <span class="user" aria-hidden="true" />
          ) : user ? (
            <span class="user">
              {link('#/profile', user.name, route.name === 'profile')}
              <button class="link" onClick={signOut}>
                Sign out
              </button>
            </span>
          ) : (
            link(`#/signin?next=${encodeURIComponent(route.name === 'signin' ? route.next : location.hash.replace(/^#/, '') || '/')}`, 'Sign in', route.name === 'signin')
          )}
        </nav>
      </header>
      {toast && (
        <div class="toast" role="status">
          {toast}
        </div>
      )}
      <div id="main" tabIndex={-1}>
        <ErrorBox error={error} />
        {route.name === 'catalog' ? (
          // The catalog needs no account: it shows while the session is still being read.
          <CatalogScreen onAdd={(p) => add(p)} inCart={inCart} />
        ) : user === undefined ? (
          <Starting />
        ) : (
          <>
            {route.name === 'notfound' && <NotFound />}
            {route.name === 'product' && <ProductScreen id={route.id} user={user} onAdd={add} inCart={inCart} />}
            {route.name === 'cart' && (
              <CartScreen
                lines={cart}
                signedIn={!!user}
                setQuantity={setQuantity}
                onChecked={(checked) =>
                  setCart((lines) =>
                    lines.flatMap((line) => {
                      const now = checked.find((c) => c.productId === line.product.id)
                      if (!now) return [line]
                      if (!now.product || now.product.available <= 0) return []
                      return [{ product: now.product, quantity: Math.min(line.quantity, now.product.available) }]
                    }),
                  )
                }
                onOrdered={(order: Order) => {
                  // Paid at once (the usual case): the cart empties; else when the payment arrives.
                  if (order.status === 'PAID') setCart([])
                  else setPlaced(order.id)
                  go(`/orders/${order.id}`)
                }}
              />
            )}
            {route.name === 'signin' &&
              (user ? (
                <main>
                  <h1 tabIndex={-1}>You are signed in</h1>
                  <p>
                    <a href={`#${route.next}`}>Continue</a>
                  </p>
                </main>
              ) : (
                <AuthScreen onSignedIn={(u) => (setUser(u), setError(null), go(route.next))} />
              ))}
            {user && route.name === 'orders' && <OrdersScreen refreshKey={tick} />}
            {user && route.name === 'order' && <OrderDetail id={route.id} refreshKey={tick} back={() => go('/orders')} />}
            {user && route.name === 'profile' && <ProfileScreen user={user} onChanged={setUser} onSignOut={signOut} />}
            {user && route.name === 'wallet' && <WalletScreen refreshKey={tick} next={route.next} amount={route.amount} />}
            {user && route.name === 'admin' &&
              (!isAdmin ? (
                <NotFound title="This is for the shop's owner">
                  <p>The console needs an admin account.</p>
                </NotFound>
              ) : ConsoleView ? (
                <ConsoleView path={route.path} params={route.params} user={user} tick={adminTick} />
              ) : consoleError ? (
                <main>
                  <h1 tabIndex={-1}>Console</h1>
                  <ErrorBox error={{ problem: { detail: 'The console could not be loaded. Check the connection.' } }} onRetry={() => setConsoleError(null)} />
                </main>
              ) : (
                <Starting />
              ))}
          </>
        )}
      </div>
    </>
  )
}

/** While the session is read (a moment): a heading's and a few rows' room, so little jumps. */
function Starting() {
  return (
    <main aria-busy="true">
      <h1 class="skeleton-text">Loading…</h1>
      <SkeletonRows count={3} label="Starting…" />
    </main>
  )
}
