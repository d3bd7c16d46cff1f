import { Elysia } from 'elysia'
import type { authPlugin } from '@shop/shared/http/auth'
import { Problem } from '@shop/shared/http/errors'
import { IDEMPOTENCY_HEADER_DOC, type idempotencyPlugin } from '@shop/shared/http/idempotency'
import { Page } from '@shop/shared/http/pagination'
import { AdjustmentBody, LowStockItem, LowStockQuery, Movement, MovementsQuery, Supply, SupplyBody } from './model.ts'
import type { InventoryService } from './service.ts'

/** Admin routes over stock on hand and its ledger. */
export function inventoryRoutes(
  inventory: InventoryService,
  plugins: { auth: ReturnType<typeof authPlugin>; idempotency: ReturnType<typeof idempotencyPlugin> },
) {
  return new Elysia({ name: 'catalog.inventory', prefix: '/api/inventory', detail: { tags: ['inventory'] } })
    .use(plugins.auth)
    .use(plugins.idempotency)
    .post(
      '/supplies',
      async ({ user, body, headers, status }) => status(201, await inventory.supply(body, { adminId: user.id, key: headers['idempotency-key']! })),
      {
        auth: 'admin',
        idempotent: true,
        body: SupplyBody,
        response: { 201: Supply, 400: Problem, 401: Problem, 403: Problem, 409: Problem, 422: Problem },
        detail: {
          summary: 'Admin: a delivery of goods; each product\'s stock rises, one supply movement each, all or nothing (422 unknown_product)',
          ...IDEMPOTENCY_HEADER_DOC,
        },
      },
    )
    .post(
      '/adjustments',
      async ({ user, body, headers, status }) => status(201, await inventory.adjust(body, { adminId: user.id, key: headers['idempotency-key']! })),
      {
        auth: 'admin',
        idempotent: true,
        body: AdjustmentBody,
        response: { 201: Movement, 400: Problem, 401: Problem, 403: Problem, 409: Problem, 422: Problem },
        detail: {
          summary: 'Admin: change one product\'s stock by a non-zero delta, with a reason (409 insufficient_stock below what is reserved)',
          ...IDEMPOTENCY_HEADER_DOC,
        },
      },
    )
    .get('/movements', ({ query }) => inventory.movements(query), {
      auth: 'admin',
      query: MovementsQuery,
      response: { 200: Page(Movement), 401: Problem, 403: Problem, 422: Problem },
      detail: { summary: 'Admin: the stock ledger, newest first; ?productId= and ?kind= filter; keyset pages' },
    })
    .get('/low-stock', ({ query }) => inventory.lowStock(query), {
      auth: 'admin',
      query: LowStockQuery,
      response: { 200: Page(LowStockItem), 401: Problem, 403: Problem, 422: Problem },
      detail: { summary: 'Admin: active products with at most ?threshold= (default 5) available, fewest first then by name; keyset pages' },
    })
}
