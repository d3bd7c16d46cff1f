import type { OrderEvent } from './api.ts'
import { cancelReasonText } from './reasons.ts'

export interface Notice {
  title: string
  body: string
}

/**
 * What a customer is told when one of their orders changes: the app's notice on screen and, in
 * Electron, the native notification, from this one table. Steps the customer did not wait for
 * (created, refund requested) tell nothing.
 */
export function noticeFor(event: OrderEvent): Notice | null {
  switch (event.event) {
    case 'paid':
      return { title: 'Order paid', body: 'Your order was paid and is being prepared.' }
    case 'cancelled':
      return { title: 'Order cancelled', body: event.reason ? `One of your orders was cancelled: ${cancelReasonText(event.reason)}.` : 'One of your orders was cancelled.' }
    case 'shipped':
      return {
        title: 'Order shipped',
        body: event.shipment ? `On its way with ${event.shipment.carrier}, tracking number ${event.shipment.trackingNumber}.` : 'Your order is on its way.',
      }
    case 'delivered':
      return { title: 'Order delivered', body: 'Your order arrived. You can now review what you bought.' }
    case 'refunded':
      return { title: 'Refund received', body: 'The money is back in your wallet.' }
    case 'return_requested':
      return { title: 'Return requested', body: 'Send the goods back; the refund follows when the shop receives them.' }
    case 'returned':
      return { title: 'Return received', body: 'The shop received your return; the refund is on its way.' }
    case 'created':
    case 'refund_requested':
      return null
  }
}
