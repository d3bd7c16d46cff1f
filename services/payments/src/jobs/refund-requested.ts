import type { Handler } from '@shop/shared/messaging/consumer'
import { refundPayment, type ProcessingDeps } from '../modules/payments/service.ts'

/** `refund.requested`: credit a paid order's amount back once. */
export const refundRequested = (deps: ProcessingDeps): Handler<'refund.requested'> => (tx, event) => refundPayment(tx, deps, event)
