import { useEffect, useState } from 'preact/hooks'
import type { Order } from '../../shared/api.ts'
import { api } from '../api.ts'
import { cancelReasonText } from '../reasons.ts'
import { Empty, ErrorBox, Loading, Money, StatusBadge } from '../ui.tsx'

export function OrdersScreen({ refreshKey, open }: { refreshKey: number; open: (id: string) => void }) {
  const [orders, setOrders] = useState<Order[] | null>(null)
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    api.orders().then(
      (page) => setOrders(page.items),
      (e) => (setError(e), setOrders([])),
    )
  }, [refreshKey])
  return (
    <main>
      <h1 tabIndex={-1}>Orders</h1>
      <ErrorBox error={error} />
      {orders === null ? (
        <Loading />
      ) : orders.length === 0 ? (
        <Empty>No orders yet.</Empty>
      ) : (
        <ul class="orders">
          {orders.map((o) => (
            <li key={o.id} class="card order-row" data-order={o.id}>
              <button class="link" onClick={() => open(o.id)}>
                #{o.number} · {new Date(o.createdAt).toLocaleString()} · {o.items.map((i) => `${i.quantity}× ${i.name}`).join(', ')}
              </button>
              <Money minor={o.total} currency={o.currency} /> <StatusBadge status={o.status} />
            </li>
          ))}
        </ul>
      )}
    </main>
  )
}

export function OrderDetail({ id, refreshKey, back }: { id: string; refreshKey: number; back: () => void }) {
  const [order, setOrder] = useState<Order | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    api.order(id).then(setOrder, setError)
  }, [id, refreshKey])
  if (!order) return error ? <ErrorBox error={error} /> : <Loading />
  const cancellable = order.status === 'NEW' || order.status === 'PAID'
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
          Shipped {new Date(order.shipment.shippedAt).toLocaleDateString()} with {order.shipment.carrier}, tracking number{' '}
          <strong class="tracking">{order.shipment.trackingNumber}</strong>
          {order.shipment.deliveredAt && <> · delivered {new Date(order.shipment.deliveredAt).toLocaleDateString()}</>}
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
      <h2>Timeline</h2>
      <ol class="timeline">
        {order.history.map((h) => (
          <li key={h.seq}>
            <time>{new Date(h.at).toLocaleTimeString()}</time> {h.event.replace('_', ' ')}
            {h.reason && h.event === 'cancelled' ? ` (${cancelReasonText(h.reason)})` : ''}
          </li>
        ))}
      </ol>
      <ErrorBox error={error} />
      {cancellable && (
        <button
          class="danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true)
            setError(null)
            try {
              setOrder(await api.cancelOrder(order.id))
            } catch (e) {
              setError(e)
            } finally {
              setBusy(false)
            }
          }}
        >
          {order.status === 'PAID' ? 'Cancel and refund' : 'Cancel order'}
        </button>
      )}
    </main>
  )
}
