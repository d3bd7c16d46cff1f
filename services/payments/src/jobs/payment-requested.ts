import type { Handler } from '@shop/shared/messaging/consumer'
import { takePayment, type ProcessingDeps } from '../modules/payments/service.ts'

/** `payment.requested`: debit the wallet once for the order, or decline. */
export const paymentRequested = (deps: ProcessingDeps): Handler<'payment.requested'> => (tx, event) => takePayment(tx, deps, event)
