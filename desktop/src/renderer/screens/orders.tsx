import { useEffect, useState } from 'preact/hooks'
import type { Order } from '../../shared/api.ts'
import { api } from '../api.ts'
import { cancelReasonText } from '../../shared/reasons.ts'
import { Confirm, Empty, ErrorBox, Money, PageLoading, SkeletonRows, StatusBadge, day, when } from '../ui.tsx'

export function OrdersScreen({ refreshKey }: { refreshKey: number }) {
  const [orders, setOrders] = useState<Order[] | null>(null)
  const [cursor, setCursor] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [attempt, setAttempt] = useState(0)
  useEffect(() => {
    setError(null)
    api.orders().then(
      (page) => (setOrders(page.items), setCursor(page.nextCursor)),
      (e) => (setError(e), setOrders((list) => list ?? [])),
    )
  }, [refreshKey, attempt])
  return (
    <main>
      <h1 tabIndex={-1}>Orders</h1>
      <ErrorBox error={error} onRetry={() => (setOrders(null), setAttempt((n) => n + 1))} />
      {orders === null ? (
        <SkeletonRows count={4} height="4.5rem" label="Loading your orders…" />
      ) : orders.length === 0 ? (
        !error && (
          <Empty>
            No orders yet. <a href="#/">Find something in the shop</a>
          </Empty>
        )
      ) : (
        <ul class="orders">
          {orders.map((o) => (
            <li key={o.id} class="card order-row" data-order={o.id}>
              <a class="order-link" href={`#/orders/${o.id}`}>
                <strong>Order #{o.number}</strong>
                <span class="muted">
                  <time dateTime={o.createdAt}>{when(o.createdAt)}</time>
                </span>
                <span class="order-items">{o.items.map((i) => `${i.quantity}× ${i.name}`).join(', ')}</span>
              </a>
              <span class="order-side">
                <Money minor={o.total} currency={o.currency} /> <StatusBadge status={o.status} />
              </span>
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <button
          class="secondary"
          onClick={async () => {
            try {
              const page = await api.orders(cursor)
              setOrders((list) => [...(list ?? []), ...page.items])
              setCursor(page.nextCursor)
            } catch (e) {
              setError(e)
            }
          }}
        >
          Show older orders
        </button>
      )}
    </main>
  )
}

const EVENT_TEXT: Record<string, string> = {
  created: 'Order placed',
  paid: 'Paid',
  cancelled: 'Cancelled',
  shipped: 'Shipped',
  delivered: 'Delivered',
  refund_requested: 'Refund requested',
  refunded: 'Refunded to your wallet',
  return_requested: 'Return requested',
  returned: 'Return received',
}


export function OrderDetail({ id, refreshKey, back }: { id: string; refreshKey: number; back: () => void }) {
  const [order, setOrder] = useState<Order | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const [asking, setAsking] = useState<'cancel' | 'return' | null>(null)
  const [reason, setReason] = useState('')
  useEffect(() => {
    api.order(id).then(setOrder, setError)
  }, [id, refreshKey])
  if (!order)
    return (
      <PageLoading error={error} title="Order" notFoundTitle="Order not found" onRetry={() => (setError(null), api.order(id).then(setOrder, setError))} notFound={<p>There is no such order among yours. <a href="#/orders">See your orders</a></p>} />
    )
  const cancellable = order.status === 'NEW' || order.status === 'PAID'
  const returnable = order.status === 'DELIVERED'
  const act = async (work: () => Promise<Order>) => {
    setBusy(true)
    setError(null)
    try {
      setOrder(await work())
      setAsking(null)
    } catch (e) {
      setError(e)
      setAsking(null)
    } finally {
      setBusy(false)
    }
  }
  return (
    <main>
      <button class="link" onClick={back}>
        ← All orders
      </button>
      <h1 tabIndex={-1}>
        Order #{order.number} <StatusBadge status={order.status} />
      </h1>
      {order.shipment && (
        <p data-testid="shipment">
          Shipped {day(order.shipment.shippedAt)} with {order.shipment.carrier}, tracking number{' '}
          <strong class="tracking">{order.shipment.trackingNumber}</strong>
          {order.shipment.deliveredAt && <span class="delivered-on">Delivered {day(order.shipment.deliveredAt)}</span>}
        </p>
      )}
      {order.reason && <p class="muted">Cancelled: {cancelReasonText(order.reason)}</p>}
      {order.refundStatus && (
        <p class={order.refundStatus === 'refunded' ? 'success' : 'muted'} data-testid="refund">
          {order.refundStatus === 'refunded' ? 'Refunded to your wallet' : 'Refund on its way to your wallet'}: <Money minor={order.total} currency={order.currency} />
        </p>
      )}
      <table>
        <tbody>
          {order.items.map((i) => (
            <tr key={i.productId}>
              <td>
                {i.quantity}× <a href={`#/products/${i.productId}`}>{i.name}</a>
                {order.status === 'DELIVERED' && (
                  <>
                    {' · '}
                    <a href={`#/products/${i.productId}`}>
                      Write a review<span class="visually-hidden"> of {i.name}</span>
                    </a>
                  </>
                )}
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
      <h2>Timeline</h2>
      <ol class="timeline">
        {order.history.map((h) => (
          <li key={h.seq} data-event={h.event}>
            <time dateTime={h.at}>{when(h.at)}</time> {EVENT_TEXT[h.event] ?? h.event.replace('_', ' ')}
            {h.reason && h.event === 'cancelled' ? ` (${cancelReasonText(h.reason)})` : ''}
          </li>
        ))}
      </ol>
      <ErrorBox error={error} />
      <div class="actions">
        {cancellable && (
          <button class="danger" disabled={busy} onClick={() => setAsking('cancel')}>
            {order.status === 'PAID' ? 'Cancel and refund' : 'Cancel order'}
          </button>
        )}
        {returnable && (
          <button class="secondary" disabled={busy} onClick={() => (setReason(''), setAsking('return'))}>
            Request a return
          </button>
        )}
      </div>
      <Confirm
        id="confirm-cancel"
        open={asking === 'cancel'}
        title={`Cancel order #${order.number}?`}
        confirm={order.status === 'PAID' ? 'Cancel and refund' : 'Cancel order'}
        cancel="Keep the order"
        busy={busy}
        onConfirm={() => act(() => api.cancelOrder(order.id))}
        onClose={() => setAsking(null)}
      >
        <p>{order.status === 'PAID' ? 'The order is cancelled and its total goes back to your wallet, once.' : 'The order is cancelled; nothing is charged.'}</p>
      </Confirm>
      <Confirm
        id="confirm-return"
        open={asking === 'return'}
        title={`Return order #${order.number}?`}
        confirm="Request the return"
        cancel="Keep it"
        busy={busy || reason.trim() === ''}
        onConfirm={() => act(() => api.requestReturn(order.id, reason.trim()))}
        onClose={() => setAsking(null)}
      >
        <p>Send the goods back; when the shop receives them, the total goes back to your wallet.</p>
        <label>
          Why are you returning it?
          <textarea name="reason" required maxLength={500} rows={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
      </Confirm>
    </main>
  )
}
