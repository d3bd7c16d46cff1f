/**
 * The owner's orders: the shipping queue (the paid orders to ship, shown first), filters by
 * status, search by number, live as orders arrive and change; and an
 * order's page with its customer, address, items and history, where it is shipped with carrier
 * and tracking number, delivered, its return received, or cancelled with a refund. Every step
 * asks first and keeps its Idempotency-Key until the shop answers (a double click or a lost
 * answer never does it twice).
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import type { Order, OrderStatus, User } from '../../shared/api.ts'
import { cancelReasonText } from '../../shared/reasons.ts'
import { api } from '../api.ts'
import { Confirm, Empty, ErrorBox, Money, PageLoading, SkeletonRows, StatusBadge, when } from '../ui.tsx'

const FILTERS: [value: string, label: string][] = [
  ['PAID', 'To ship (paid)'],
  ['RETURN_REQUESTED', 'Returns to receive'],
  ['SHIPPED', 'Shipped'],
  ['NEW', 'Awaiting payment'],
  ['DELIVERED', 'Delivered'],
  ['CANCELLED', 'Cancelled'],
  ['RETURNED', 'Returned'],
  ['', 'All orders'],
]

const go = (status: string, number: string) => {
  const params = new URLSearchParams()
  if (status !== 'PAID') params.set('status', status)
  if (number) params.set('number', number)
  const query = params.toString()
  location.hash = `/admin/orders${query ? `?${query}` : ''}`
}

const itemsText = (order: Order) => order.items.map((i) => `${i.quantity}× ${i.name}`).join(', ')

export function OrderQueue({ status, number, tick }: { status: string; number: string; tick: number }) {
  const [orders, setOrders] = useState<Order[] | null>(null)
  const [cursor, setCursor] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [search, setSearch] = useState(number)
  const [attempt, setAttempt] = useState(0)
  const [updated, setUpdated] = useState<string | null>(null)
  /** The filter the list on screen was read for: a new read for the same one is a live update. */
  const shownFor = useRef<string | null>(null)
  const validNumber = /^#?\d{1,15}$/.test(number.trim())


  useEffect(() => {
    let cancelled = false
    const key = `${status}|${number}`
    if (shownFor.current !== key) setOrders(null)
    if (number && !validNumber) {
      setOrders([])
      setCursor(null)
      return
    }
    api
      .adminOrders({ status: (status || undefined) as OrderStatus | undefined, number: number.trim() || undefined })
      .then(
        (page) => {
          if (cancelled) return
          setOrders(page.items)
          setCursor(page.nextCursor)
          setError(null)
          // Said when the list was read again by itself (not on the first load or a new filter).
          setUpdated(shownFor.current === key ? new Date().toISOString() : null)
          shownFor.current = key
        },
        (e) => !cancelled && setError(e),
      )
    return () => {
      cancelled = true
    }
  }, [status, number, tick, attempt])

  const label = FILTERS.find(([v]) => v === status)?.[1] ?? 'Orders'
  return (
    <main>
      <h1 tabIndex={-1}>Orders</h1>
      <form
        class="console-filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault()
          go(status, search.trim())
        }}
      >
        <label>
          Show
          <select name="status" value={status} onChange={(e) => go(e.currentTarget.value, '')}>
            {FILTERS.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        </label>
        <label>
          Order number
          <input name="number" inputMode="numeric" placeholder="#1042" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </label>
        <button type="submit">Find</button>
        {number && (
          <button type="button" class="secondary" onClick={() => go(status, '')}>
            Clear
          </button>
        )}
      </form>
      {number && !validNumber && <p class="error">An order number is digits, such as 1042 or #1042.</p>}
      <p class="muted small" role="status">
        {updated ? `Updated live at ${when(updated)}` : 'Updates live as orders arrive and change.'}
      </p>
      <ErrorBox error={error} onRetry={() => setAttempt((n) => n + 1)} />
      {orders === null ? (
        !error && <SkeletonRows count={4} height="3rem" label="Loading orders…" />
      ) : orders.length === 0 ? (
        <Empty>{number ? `No order #${number.replace(/^#/, '')}${status ? ' with that status' : ''}.` : status === 'PAID' ? 'Nothing to ship: every paid order has left.' : `No orders here (${label.toLowerCase()}).`}</Empty>
      ) : (
        <table class="order-table">
          <caption class="visually-hidden">{label}</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Placed</th>
              <th scope="col">Ship to</th>
              <th scope="col">Items</th>
              <th scope="col" class="num">
                Total
              </th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.id} data-order={o.number}>
                <td>
                  <a href={`#/admin/orders/${o.id}`}>#{o.number}</a>
                </td>
                <td>{when(o.createdAt)}</td>
                <td>{o.shippingAddress ? `${o.shippingAddress.name}, ${o.shippingAddress.city} (${o.shippingAddress.country})` : <span class="muted">No address</span>}</td>
                <td class="items-cell">{itemsText(o)}</td>
                <td class="num">
                  <Money minor={o.total} currency={o.currency} />
                </td>
                <td>
                  <StatusBadge status={o.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button
          class="secondary more"
          onClick={async () => {
            try {
              const page = await api.adminOrders({ status: (status || undefined) as OrderStatus | undefined, cursor })
              setOrders((list) => [...(list ?? []), ...page.items])
              setCursor(page.nextCursor)
            } catch (e) {
              setError(e)
            }
          }}
        >
          Show more orders
        </button>
      )}
    </main>
  )
}

const EVENT_TEXT: Record<string, string> = {
  created: 'Placed',
  paid: 'Paid',
  cancelled: 'Cancelled',
  shipped: 'Shipped',
  delivered: 'Delivered',
  refund_requested: 'Refund requested',
  refunded: 'Refunded to the customer',
  return_requested: 'Return requested',
  returned: 'Return received',
}

type Step = 'ship' | 'deliver' | 'receive' | 'cancel'

export function AdminOrder({ id, tick }: { id: string; tick: number }) {
  const [order, setOrder] = useState<Order | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [actionError, setActionError] = useState<unknown>(null)
  const [asking, setAsking] = useState<Step | null>(null)
  const [busy, setBusy] = useState(false)
  const [carrier, setCarrier] = useState('')
  const [tracking, setTracking] = useState('')
  const [shipTried, setShipTried] = useState(false)
  const [done, setDone] = useState<string | null>(null)
  const [customer, setCustomer] = useState<User | null>(null)

  useEffect(() => {
    api.order(id).then((o) => (setOrder(o), setError(null)), setError)
  }, [id, tick])
  // Who ordered: their name and email (an account that is gone leaves the id).
  const userId = order?.userId
  useEffect(() => {
    if (userId) api.adminUser(userId).then(setCustomer, () => setCustomer(null))
  }, [userId])

  if (!order)
    return (
      <PageLoading error={error} title="Order" notFoundTitle="Order not found" onRetry={() => (setError(null), api.order(id).then(setOrder, setError))} notFound={<p>No order has this address. <a href="#/admin/orders">Back to the orders</a></p>} />
    )

  const act = async (work: () => Promise<Order>, said: string) => {
    setBusy(true)
    setActionError(null)
    try {
      setOrder(await work())
      setDone(said)
      setAsking(null)
    } catch (e) {
      setActionError(e)
      setAsking(null)
    } finally {
      setBusy(false)
    }
  }
  const carrierText = carrier.trim()
  const trackingText = tracking.trim()
  const shipValid = carrierText.length >= 1 && carrierText.length <= 64 && trackingText.length >= 1 && trackingText.length <= 64
  const a = order.shippingAddress

  return (
    <main class="admin-order">
      <p>
        <a href="#/admin/orders">← Orders</a>
      </p>
      <h1 tabIndex={-1}>
        Order #{order.number} <StatusBadge status={order.status} />
      </h1>
      <p class="muted" data-testid="customer">
        Placed {when(order.createdAt)} by{' '}
        {customer ? (
          <>
            {customer.name} (<a href={`mailto:${customer.email}`}>{customer.email}</a>)
          </>
        ) : (
          <>
            customer <code>{order.userId}</code>
          </>
        )}
      </p>
      {done && (
        <p class="success" role="status">
          {done}
        </p>
      )}
      <div class="order-columns">
        <section class="card" aria-labelledby="ship-to">
          <h2 id="ship-to">Ship to</h2>
          {a ? (
            <address>
              {a.name}
              <br />
              {a.line1}
              {a.line2 && (
                <>
                  <br />
                  {a.line2}
                </>
              )}
              <br />
              {a.postalCode} {a.city}
              {a.region ? `, ${a.region}` : ''}
              <br />
              {a.country}
              {a.phone && (
                <>
                  <br />
                  {a.phone}
                </>
              )}
            </address>
          ) : (
            <p class="muted">The customer gave no address with this order.</p>
          )}
          {order.shipment && (
            <p data-testid="shipment">
              {order.shipment.carrier}, tracking <strong class="tracking">{order.shipment.trackingNumber}</strong>
              <br />
              Shipped {when(order.shipment.shippedAt)}
              {order.shipment.deliveredAt && (
                <>
                  <br />
                  Delivered {when(order.shipment.deliveredAt)}
                </>
              )}
            </p>
          )}
          {order.return && (
            <p>
              Return asked {when(order.return.requestedAt)}: “{order.return.reason}”
              {order.return.receivedAt && (
                <>
                  <br />
                  Received {when(order.return.receivedAt)}
                </>
              )}
            </p>
          )}
        </section>
        <section class="card" aria-labelledby="items">
          <h2 id="items">Items</h2>
          <table>
            <tbody>
              {order.items.map((i) => (
                <tr key={i.productId}>
                  <td>
                    {i.quantity}× {i.name}
                  </td>
                  <td class="num">
                    <Money minor={i.unitPrice * i.quantity} currency={order.currency} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="total">
            Total <Money minor={order.total} currency={order.currency} />
          </p>
          {order.reason && <p class="muted">Cancelled: {cancelReasonText(order.reason)}</p>}
          {order.refundStatus && (
            <p class={order.refundStatus === 'refunded' ? 'success' : 'muted'}>
              {order.refundStatus === 'refunded' ? 'Refunded to the customer’s wallet' : 'Refund on its way to the customer’s wallet'}
            </p>
          )}
        </section>
      </div>

      <section aria-labelledby="next">
        <h2 id="next">Next step</h2>
        <ErrorBox error={actionError} />
        {order.status === 'PAID' && (
          <form
            class="ship-form card"
            noValidate
            onSubmit={(e) => {
              e.preventDefault()
              setShipTried(true)
              if (shipValid) setAsking('ship')
            }}
          >
            <div>
              <label>
                Carrier
                <input name="carrier" required maxLength={64} autocomplete="off" value={carrier} onInput={(e) => setCarrier(e.currentTarget.value)} aria-invalid={shipTried && !carrierText} aria-describedby={shipTried && !carrierText ? 'carrier-error' : undefined} />
              </label>
              {shipTried && !carrierText && (
                <p id="carrier-error" class="error field-error">
                  Say which carrier takes the parcel.
                </p>
              )}
            </div>
            <div>
              <label>
                Tracking number
                <input name="trackingNumber" required maxLength={64} autocomplete="off" value={tracking} onInput={(e) => setTracking(e.currentTarget.value)} aria-invalid={shipTried && !trackingText} aria-describedby={shipTried && !trackingText ? 'tracking-error' : undefined} />
              </label>
              {shipTried && !trackingText && (
                <p id="tracking-error" class="error field-error">
                  Enter the carrier's tracking number.
                </p>
              )}
            </div>
            <button type="submit" disabled={busy}>
              Ship the order
            </button>
          </form>
        )}
        {['NEW', 'PAID', 'SHIPPED', 'RETURN_REQUESTED'].includes(order.status) && (
        <div class="actions">
          {order.status === 'SHIPPED' && (
            <button disabled={busy} onClick={() => setAsking('deliver')}>
              Mark delivered
            </button>
          )}
          {order.status === 'RETURN_REQUESTED' && (
            <button disabled={busy} onClick={() => setAsking('receive')}>
              Receive the return
            </button>
          )}
          {(order.status === 'NEW' || order.status === 'PAID') && (
            <button class="danger" disabled={busy} onClick={() => setAsking('cancel')}>
              {order.status === 'PAID' ? 'Cancel and refund' : 'Cancel the order'}
            </button>
          )}
        </div>
        )}
        {!['NEW', 'PAID', 'SHIPPED', 'RETURN_REQUESTED'].includes(order.status) && <p class="muted">Nothing left to do for this order.</p>}
      </section>

      <h2>History</h2>
      <ol class="timeline">
        {order.history.map((h) => (
          <li key={h.seq} data-event={h.event}>
            <time dateTime={h.at}>{when(h.at)}</time> {EVENT_TEXT[h.event] ?? h.event.replace('_', ' ')}
            {h.reason && h.event === 'cancelled' ? ` (${cancelReasonText(h.reason)})` : ''}
          </li>
        ))}
      </ol>

      <Confirm
        id="confirm-ship"
        tone="primary"
        open={asking === 'ship'}
        title={`Ship order #${order.number}?`}
        confirm="Ship it"
        cancel="Not yet"
        busy={busy}
        onConfirm={() => act(() => api.shipOrder(order.id, { carrier: carrierText, trackingNumber: trackingText }), `Shipped with ${carrierText}; the customer sees the tracking number.`)}
        onClose={() => setAsking(null)}
      >
        <p>
          With {carrierText}, tracking number <strong class="tracking">{trackingText}</strong>. The customer is told at once.
        </p>
      </Confirm>
      <Confirm
        id="confirm-deliver"
        tone="primary"
        open={asking === 'deliver'}
        title={`Order #${order.number} delivered?`}
        confirm="Mark delivered"
        cancel="Not yet"
        busy={busy}
        onConfirm={() => act(() => api.deliverOrder(order.id), 'Marked delivered; the customer may now review and return it.')}
        onClose={() => setAsking(null)}
      >
        <p>The delivery time is recorded; the return window starts now.</p>
      </Confirm>
      <Confirm
        id="confirm-receive"
        tone="primary"
        open={asking === 'receive'}
        title={`Receive the return of #${order.number}?`}
        confirm="Receive and refund"
        cancel="Not yet"
        busy={busy}
        onConfirm={() => act(() => api.receiveReturn(order.id), 'Return received: the total goes back to the customer’s wallet and the items back in stock.')}
        onClose={() => setAsking(null)}
      >
        <p>
          The goods came back: <Money minor={order.total} currency={order.currency} /> goes back to the customer's wallet, once, and the items back in stock.
        </p>
      </Confirm>
      <Confirm
        id="confirm-cancel"
        open={asking === 'cancel'}
        title={`Cancel order #${order.number}?`}
        confirm={order.status === 'PAID' ? 'Cancel and refund' : 'Cancel the order'}
        cancel="Keep the order"
        busy={busy}
        onConfirm={() => act(() => api.cancelOrder(order.id), order.status === 'PAID' ? 'Cancelled: the refund is on its way to the customer.' : 'Cancelled; nothing was charged.')}
        onClose={() => setAsking(null)}
      >
        <p>{order.status === 'PAID' ? <>The customer gets <Money minor={order.total} currency={order.currency} /> back in their wallet, once, and the items go back in stock.</> : 'The order is cancelled before payment; nothing is charged.'}</p>
      </Confirm>
    </main>
  )
}
