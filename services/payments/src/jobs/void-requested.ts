import type { Handler } from '@shop/shared/messaging/consumer'
import { voidPayment, type ProcessingDeps } from '../modules/payments/service.ts'

/** `void.requested`: keep no money for a cancelled order (refund it if taken, refuse it if it comes later). */
export const voidRequested = (deps: ProcessingDeps): Handler<'void.requested'> => (tx, event) => voidPayment(tx, deps, event)
