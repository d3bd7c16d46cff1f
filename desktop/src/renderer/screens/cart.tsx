import { useEffect, useState } from 'preact/hooks'
import type { Address, Order, Product, Wallet } from '../../shared/api.ts'
import { api } from '../api.ts'
import { formatMoney, minorDigits } from '../money.ts'
import { Empty, ErrorBox, Money, isNotFound } from '../ui.tsx'

export interface CartLine {
  product: Product
  quantity: number
}

/** A line as the shop has it now: its product today, or null when it is no longer sold. */
export interface CheckedLine {
  productId: string
  product: Product | null
}

/** What changed since the line was added, in words (nothing: null). */
export function changeOf(line: CartLine, now: Product | null): string | null {
  const was = line.product
  if (!now) return `${was.name} is no longer sold, so it left your cart.`
  if (now.available <= 0) return `${now.name} is sold out, so it left your cart.`
  const notes: string[] = []
  if (now.price !== was.price || now.currency !== was.currency)
    notes.push(`${now.name} now costs ${formatMoney(now.price, now.currency)} (was ${formatMoney(was.price, was.currency)}).`)
  if (line.quantity > now.available) notes.push(`Only ${now.available} of ${now.name} left: your quantity was lowered.`)
  return notes.length ? notes.join(' ') : null
}

export function CartScreen({
  lines,
  signedIn,
  setQuantity,
  onChecked,
  onOrdered,
}: {
  lines: CartLine[]
  signedIn: boolean
  setQuantity: (productId: string, quantity: number) => void
  /** The shop's current products for the lines (stock and prices re-read when the cart opens). */
  onChecked: (checked: CheckedLine[]) => void
  onOrdered: (order: Order) => void
}) {
  const [checking, setChecking] = useState(lines.length > 0)
  const [changes, setChanges] = useState<string[]>([])
  useEffect(() => {
    if (lines.length === 0) return
    let live = true
    // Each line's product as it is now: a price or stock that changed since it was added is said.
    void Promise.all(
      lines.map((line) =>
        api.product(line.product.id).then(
          (product) => ({ line, product: product as Product | null }),
          (e) => ({ line, product: isNotFound(e) ? null : line.product }),
        ),
      ),
    ).then((results) => {
      if (!live) return
      setChanges(results.map((r) => changeOf(r.line, r.product)).filter((c): c is string => c !== null))
      onChecked(results.map((r) => ({ productId: r.line.product.id, product: r.product })))
      setChecking(false)
    })
    return () => void (live = false)
  }, [])
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const [addresses, setAddresses] = useState<Address[] | undefined>(undefined)
  const [addressId, setAddressId] = useState<string | null>(null)
  const [adding, setAdding] = useState(false)
  const [wallet, setWallet] = useState<Wallet | null | undefined>(undefined)
  useEffect(() => {
    if (!signedIn) return
    api.addresses().then((list) => (setAddresses(list), setAddressId((id) => id ?? list[0]?.id ?? null)), (e) => (setError(e), setAddresses([])))
    api.wallet().then(setWallet, (e) => (setError(e), setWallet(null)))
  }, [signedIn])
  if (lines.length === 0)
    return (
      <main>
        <h1 tabIndex={-1}>Cart</h1>
        <Changes changes={changes} />
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
      const chosen = addresses?.find((a) => a.id === addressId)
      const shippingAddress = chosen && {
        name: chosen.name,
        line1: chosen.line1,
        city: chosen.city,
        postalCode: chosen.postalCode,
        country: chosen.country,
        ...(chosen.line2 ? { line2: chosen.line2 } : {}),
        ...(chosen.region ? { region: chosen.region } : {}),
        ...(chosen.phone ? { phone: chosen.phone } : {}),
      }
      const order = await api.placeOrder(
        lines.map((l) => ({ productId: l.product.id, quantity: l.quantity })),
        shippingAddress,
      )
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
      <Changes changes={changes} />
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
        <Checkout
          total={total}
          currency={currency}
          addresses={addresses}
          addressId={addressId}
          setAddressId={setAddressId}
          adding={adding}
          setAdding={setAdding}
          onAdded={(a) => (setAddresses((list) => [a, ...(list ?? [])]), setAddressId(a.id), setAdding(false))}
          wallet={wallet}
          pay={pay}
          busy={busy || checking || currencies.size > 1}
        />
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

function Changes({ changes }: { changes: string[] }) {
  if (changes.length === 0) return null
  return (
    <div class="card notice" role="status" data-testid="cart-changes">
      <p>Since you added them:</p>
      <ul>
        {changes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
    </div>
  )
}

/** Where it goes and what pays for it: the address book, the wallet beside the total, and Pay. */
function Checkout(props: {
  total: number
  currency: string
  addresses: Address[] | undefined
  addressId: string | null
  setAddressId: (id: string) => void
  adding: boolean
  setAdding: (adding: boolean) => void
  onAdded: (address: Address) => void
  wallet: Wallet | null | undefined
  pay: () => void
  busy: boolean
}) {
  const { total, currency, addresses, wallet } = props
  if (addresses === undefined || wallet === undefined)
    return (
      <p class="muted" aria-busy="true">
        Loading your addresses and wallet…
      </p>
    )
  const short = wallet === null || wallet.currency !== currency ? null : Math.max(0, total - wallet.available)
  const topUp = (amount: number) => `#/wallet?next=${encodeURIComponent('/cart')}&amount=${(amount / 10 ** minorDigits(currency)).toFixed(minorDigits(currency))}`
  return (
    <div class="checkout">
      <fieldset class="addresses">
        <legend>Ship to</legend>
        {addresses.length === 0 && !props.adding && <p class="muted">Your address book is empty: add where the order should go.</p>}
        {addresses.map((a) => (
          <label key={a.id} class="address-option">
            <input type="radio" name="address" value={a.id} checked={props.addressId === a.id} onChange={() => props.setAddressId(a.id)} />
            <span>
              <strong>{a.name}</strong>, {a.line1}
              {a.line2 ? `, ${a.line2}` : ''}, {a.postalCode} {a.city}, {a.country}
            </span>
          </label>
        ))}
        {props.adding ? (
          <AddAddress onAdded={props.onAdded} onCancel={() => props.setAdding(false)} />
        ) : (
          <button type="button" class="secondary" onClick={() => props.setAdding(true)}>
            Add an address
          </button>
        )}
      </fieldset>
      {wallet === null ? (
        <p class="error" role="status">
          You have no wallet yet. <a href={topUp(total)}>Open one and top up</a> to pay.
        </p>
      ) : wallet.currency !== currency ? (
        <p class="error" role="status">
          Your wallet is in {wallet.currency}; this cart is priced in {currency}.
        </p>
      ) : (
        <p class={short ? 'error' : 'muted'} role="status" data-testid="wallet-check">
          Your wallet: {formatMoney(wallet.available, wallet.currency)}
          {short ? (
            <>
              {' '}
              — {formatMoney(short, currency)} short. <a href={topUp(short)}>Top up {formatMoney(short, currency)}</a> and come back to pay.
            </>
          ) : null}
        </p>
      )}
      <button class="pay" onClick={props.pay} disabled={props.busy || !props.addressId || short === null || short > 0}>
        Pay
      </button>
    </div>
  )
}

export function AddAddress({ onAdded, onCancel }: { onAdded: (address: Address) => void; onCancel: () => void }) {
  const [fields, setFields] = useState({ name: '', line1: '', line2: '', city: '', postalCode: '', country: '' })
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const field = (key: keyof typeof fields, label: string, extra: Record<string, unknown> = {}) => (
    <label>
      {label}
      <input name={key} value={fields[key]} onInput={(e) => setFields((f) => ({ ...f, [key]: e.currentTarget.value }))} {...extra} />
    </label>
  )
  return (
    <div class="card add-address">
      {field('name', 'Full name', { required: true, autocomplete: 'name' })}
      {field('line1', 'Street and number', { required: true, autocomplete: 'address-line1' })}
      {field('line2', 'Apartment, floor (optional)', { autocomplete: 'address-line2' })}
      {field('postalCode', 'Postal code', { required: true, autocomplete: 'postal-code' })}
      {field('city', 'City', { required: true, autocomplete: 'address-level2' })}
      {field('country', 'Country code (two letters, such as GB)', { required: true, maxLength: 2, autocomplete: 'country' })}
      <ErrorBox error={error} />
      <div class="actions">
        <button
          type="button"
          disabled={busy}
          onClick={async () => {
            setBusy(true)
            setError(null)
            try {
              const { line2, country, ...rest } = fields
              onAdded(await api.addAddress({ ...rest, country: country.trim().toUpperCase(), ...(line2.trim() ? { line2 } : {}) }))
            } catch (e) {
              setError(e)
            } finally {
              setBusy(false)
            }
          }}
        >
          Save the address
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  )
}
