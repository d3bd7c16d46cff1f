/**
 * Every service of the shop, each a folder of services/ with its manifest (`service.ts`), in the
 * order they start: users first (the others fetch its keys), catalog before orders (which reserves
 * stock there), the gateway last, in front of them all. Adding a service: its folder, one line here
(and, for public routes, its prefixes and URL in the gateway: README, "Adding a service").
 */
import { catalog } from './services/catalog/service.ts'
import { gateway } from './services/gateway/service.ts'
import { orders } from './services/orders/service.ts'
import { payments } from './services/payments/service.ts'
import { reviews } from './services/reviews/service.ts'
import { users } from './services/users/service.ts'

export const SERVICES = { users, payments, catalog, orders, reviews, gateway }

export type ServiceName = keyof typeof SERVICES
