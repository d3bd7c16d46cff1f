/**
 * The desktop's wire types (desktop/src/shared/api-types.gen.ts) are the services' schemas:
 * - the checked-in file is what `bun run gen:api-types` writes from them now;
 * - (at typecheck) each generated type is the schema's own static type, both ways;
 * - the gateway's API document says the operations the desktop calls answer (and take) exactly
 *   those schemas;
 * - what the desktop's client really receives from a running shop for each of them fits the
 *   schema strictly: money and counts are JSON integers, null only where allowed, enums only
 *   their members, no field missing or unknown; and the live order events too.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { waitFor } from '@shop/shared/testing'
import type { Problem } from '@shop/shared/http/errors'
import type { Page } from '@shop/shared/http/pagination'
import type * as Gen from '../desktop/src/shared/api-types.gen.ts'
import { ShopClient } from '../desktop/src/shared/client.ts'
import type { OrderEvent as Event } from '../desktop/src/shared/api.ts'
import type { Category_, CurrencyUse, ListQuery, Product } from '../services/catalog/src/modules/products/model.ts'
import type { StreamEvent } from '../services/orders/src/modules/events/hub.ts'
import type { AdminListOrdersQuery, CreateOrder, HistoryEntry, Order, OrderEvent, ShipOrder, WalletEvent } from '../services/orders/src/modules/orders/model.ts'
import type { TopUp, topUpBody } from '../services/payments/src/modules/top-ups/model.ts'
import type { AdminOrderEvent, OrderStats } from '../services/orders/src/modules/stats/model.ts'
import type { LowStockItem } from '../services/catalog/src/modules/inventory/model.ts'
import type { SystemStatus } from '../services/gateway/src/modules/system/routes.ts'
import type { CreateWallet, LedgerEntry, Wallet } from '../services/payments/src/modules/wallets/model.ts'
import type { Login, Register, Tokens } from '../services/users/src/modules/auth/model.ts'
import type { UpdateMe, User } from '../services/users/src/modules/users/model.ts'
import type { Address, CreateAddress } from '../services/users/src/modules/addresses/model.ts'
import type { AdminReview, CreateReview, MyReview, Review, ReviewListQuery, Summary, UpdateReview } from '../services/reviews/src/modules/reviews/model.ts'
import { COMMAND, HTTP_OPERATIONS, OUTPUT, SchemaRenderer, WIRE_TYPES, generate, schemaOf } from '../scripts/gen-api-types.ts'
import { noisyPng } from '../services/catalog/src/testing.ts'
import { startSystem, type System } from './system.ts'

// --- At typecheck: each generated type and its schema's static type (TypeBox's) are one type. ---
// A "does not satisfy the constraint 'true'" here: the schema changed, run `bun run gen:api-types`.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Check<T extends true> = T
export type WireTypesAreTheSchemas = [
  Check<Same<Gen.Problem, typeof Problem.static>>,
  Check<Same<Gen.Page<Gen.Order>, ReturnType<typeof Page<typeof Order>>['static']>>,
  Check<Same<Gen.User, User>>,
  Check<Same<Gen.Tokens, Tokens>>,
  Check<Same<Gen.Register, Register>>,
  Check<Same<Gen.Login, typeof Login.static>>,
  Check<Same<Gen.UpdateMe, UpdateMe>>,
  Check<Same<Gen.Address, Address>>,
  Check<Same<Gen.CreateAddress, CreateAddress>>,
  Check<Same<Gen.Wallet, Wallet>>,
  Check<Same<Gen.CreateWallet, typeof CreateWallet.static>>,
  Check<Same<Gen.LedgerEntry, LedgerEntry>>,
  Check<Same<Gen.TopUp, TopUp>>,
  Check<Same<Gen.CreateTopUp, ReturnType<typeof topUpBody>['static']>>,
  Check<Same<Gen.WalletEvent, WalletEvent>>,
  Check<Same<Gen.Product, Product>>,
  Check<Same<Gen.ProductListQuery, ListQuery>>,
  Check<Same<Gen.Category, typeof Category_.static>>,
  Check<Same<Gen.CurrencyUse, typeof CurrencyUse.static>>,
  Check<Same<Gen.OrderStatus, Order['status']>>,
  Check<Same<Gen.CancelReason | null, Order['reason']>>,
  Check<Same<Gen.HistoryEntry, typeof HistoryEntry.static>>,
  Check<Same<Gen.Order, Order>>,
  Check<Same<Gen.CreateOrder, CreateOrder>>,
  Check<Same<Gen.OrderEvent, OrderEvent>>,
  Check<Same<Gen.ShipOrder, ShipOrder>>,
  Check<Same<Gen.AdminOrderQuery, typeof AdminListOrdersQuery.static>>,
  Check<Same<Gen.OrderStats, OrderStats>>,
  Check<Same<Gen.AdminOrderEvent, AdminOrderEvent>>,
  Check<Same<Gen.LowStockItem, LowStockItem>>,
  Check<Same<Gen.SystemStatus, SystemStatus>>,
  Check<Same<Gen.Review, Review>>,
  Check<Same<Gen.AdminReview, AdminReview>>,
  Check<Same<Gen.CreateReview, CreateReview>>,
  Check<Same<Gen.UpdateReview, UpdateReview>>,
  Check<Same<Gen.ReviewListQuery, ReviewListQuery>>,
  Check<Same<Gen.RatingSummary, Summary>>,
  Check<Same<Gen.MyReview, MyReview>>,
  // The stream writes the hub's StreamEvent: the same fields, the schema's values among its own.
  Check<Same<keyof StreamEvent, keyof OrderEvent>>,
  Check<OrderEvent extends StreamEvent ? true : false>,
]

const ROOT = join(import.meta.dir, '..')

describe('desktop wire types, generated', () => {
  test(`${OUTPUT} is what \`${COMMAND}\` writes from the services' schemas`, async () => {
    const checkedIn = await Bun.file(join(ROOT, OUTPUT)).text().catch(() => '')
    const fresh = generate()
    if (checkedIn !== fresh) {
      const a = checkedIn.split('\n')
      const b = fresh.split('\n')
      const line = b.findIndex((text, i) => text !== a[i])
      const at = line === -1 ? a.length : line
      throw new Error(
        `${OUTPUT} is out of date with the services' schemas: run \`${COMMAND}\` and commit it (then fix what the desktop's typecheck finds).\n` +
          `First difference at line ${at + 1}:\n  checked in: ${a[at] ?? '(end of file)'}\n  schemas say: ${b[at] ?? '(end of file)'}`,
      )
    }
    expect(checkedIn).toBe(fresh)
  })

  test('the renderer refuses what it cannot type rather than writing unknown', () => {
    const renderer = new SchemaRenderer([])
    expect(() => renderer.render({ $ref: '#/components/schemas/X' })).toThrow('$ref')
    expect(() => renderer.render({ type: 'object', properties: { a: { allOf: [] } } })).toThrow('allOf')
    expect(renderer.render({ anyOf: [{ type: 'string', format: 'integer', default: 0 }, { type: 'integer' }] })).toBe('number')
  })

  test('the strict check of answers tells a numeric string, a missing field, an unknown member and an extra field', () => {
    const integer = { anyOf: [{ type: 'string', format: 'integer', default: 0 }, { type: 'integer' }] }
    const schema = {
      type: 'object',
      required: ['id', 'balance', 'kind', 'note'],
      properties: { id: { type: 'string', format: 'uuid' }, balance: integer, kind: { anyOf: [{ const: 'a' }, { const: 'b' }] }, note: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
    }
    const row = { id: crypto.randomUUID(), balance: 100, kind: 'a', note: null }
    expect(misfits(schema, row)).toEqual([])
    expect(misfits(schema, { ...row, balance: '100' })).toEqual(['$.balance: "100" is not a JSON integer'])
    expect(misfits(schema, { ...row, balance: 1.5, owner: 'x' })).toEqual(['$.owner is not in the schema', '$.balance: 1.5 is not a JSON integer'])
    const { note: _, ...withoutNote } = row
    expect(misfits(schema, withoutNote)).toEqual(['$.note is missing'])
    expect(misfits(schema, { ...row, kind: 'c' })).toHaveLength(1)
  })
})

// --- On a running shop ----------------------------------------------------------------------

type Schema = Record<string, unknown>
type Doc = {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string; required?: boolean; schema: Schema }[]
        requestBody?: { content: Record<string, { schema: Schema }> }
        responses: Record<string, { content?: Record<string, { schema: Schema }> }>
      }
    >
  >
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Where `value` does not fit `schema`, strictly as the generated types read it (empty: it fits). */
function misfits(schema: Schema, value: unknown, at = '$'): string[] {
  const show = JSON.stringify(value)
  if ('const' in schema) return value === schema.const ? [] : [`${at}: ${show} is not ${JSON.stringify(schema.const)}`]
  const union = schema.anyOf as Schema[] | undefined
  if (union) {
    // Elysia's number-or-numeric-string: on the wire, only the number.
    const number = union.find((s) => s.type === 'integer' || s.type === 'number')
    if (union.length === 2 && number && union.some((s) => s.type === 'string' && (s.format === 'integer' || s.format === 'numeric'))) return misfits(number, value, at)
    const results = union.map((s) => misfits(s, value, at))
    return results.some((r) => r.length === 0) ? [] : [`${at}: ${show} fits none of ${union.length} choices (${results.map((r) => r[0]).join('; ')})`]
  }
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return [`${at}: ${show} is not a string`]
      if (schema.format === 'uuid' && !UUID.test(value)) return [`${at}: ${show} is not a UUID`]
      if (schema.format === 'date-time' && !(/^\d{4}-\d\d-\d\dT/.test(value) && Number.isFinite(Date.parse(value)))) return [`${at}: ${show} is not a date-time`]
      return []
    case 'integer':
      return Number.isSafeInteger(value) ? [] : [`${at}: ${show} is not a JSON integer`]
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? [] : [`${at}: ${show} is not a number`]
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: ${show} is not a boolean`]
    case 'null':
      return value === null ? [] : [`${at}: ${show} is not null`]
    case 'array':
      return Array.isArray(value) ? value.flatMap((item, i) => misfits(schema.items as Schema, item, `${at}[${i}]`)) : [`${at}: ${show} is not an array`]
    case 'object': {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return [`${at}: ${show} is not an object`]
      const properties = (schema.properties ?? {}) as Record<string, Schema>
      const object = value as Record<string, unknown>
      return [
        ...((schema.required ?? []) as string[]).filter((key) => !(key in object)).map((key) => `${at}.${key} is missing`),
        ...Object.keys(object).filter((key) => !(key in properties)).map((key) => `${at}.${key} is not in the schema`),
        ...Object.entries(object).flatMap(([key, v]) => (properties[key] ? misfits(properties[key], v, `${at}.${key}`) : [])),
      ]
    }
  }
  throw new Error(`${at}: no check for ${JSON.stringify(schema)}`)
}

/** The operation (`GET /api/orders/{id}`) a request is, among `HTTP_OPERATIONS`. */
function operationOf(method: string, url: string): string | undefined {
  const path = new URL(url).pathname
  return HTTP_OPERATIONS.map((o) => o.operation).find((operation) => {
    const [m, template] = operation.split(' ') as [string, string]
    return m === method && new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path)
  })
}

let s: System
beforeAll(async () => {
  s = await startSystem({ gateway: {}, heartbeatMs: 1000 })
}, 60_000)
afterAll(() => s?.stop(), 60_000)

describe('desktop wire types, on the wire', () => {
  // The documents have no request bodies to compare today (@elysiajs/openapi leaves a body's
  // content empty when a global parse hook is a function, as the request guards' is): a body is
  // compared when documented, and the next test sends each one and needs its success answer.
  test("the gateway's API document: each operation the desktop calls answers exactly its type's schema (and takes it, where documented)", async () => {
    const doc = (await (await fetch(`${s.urls.gateway}/swagger/json`)).json()) as Doc
    const plain = new SchemaRenderer(WIRE_TYPES)
    const write = (schema: Schema) => plain.render(schema, { names: false, comments: false })
    const wrong: string[] = []
    for (const { operation, status, answer, body, query } of HTTP_OPERATIONS) {
      const [method, path] = operation.split(' ') as [string, string]
      const item = doc.paths[path]?.[method.toLowerCase()]
      if (!item) {
        wrong.push(`${operation}: not in the document`)
        continue
      }
      if (answer) {
        const documented = item.responses[String(status)]?.content?.['application/json']?.schema
        if (!documented) wrong.push(`${operation}: no ${status} application/json answer`)
        else if (write(documented) !== write(schemaOf(answer))) wrong.push(`${operation} ${status}: answers\n${write(documented)}\nnot ${answer}:\n${write(schemaOf(answer))}`)
      }
      const content = item.requestBody?.content
      if (body && !content) wrong.push(`${operation}: no body`)
      const documented = content?.['application/json']?.schema
      if (body && documented && write(documented) !== write(schemaOf(body))) wrong.push(`${operation}: takes\n${write(documented)}\nnot ${body}:\n${write(schemaOf(body))}`)
      if (query) {
        const parameters = (item.parameters ?? []).filter((p) => p.in === 'query')
        const documented = {
          type: 'object',
          properties: Object.fromEntries(parameters.map((p) => [p.name, p.schema])),
          required: parameters.filter((p) => p.required).map((p) => p.name),
        }
        if (write(documented) !== write(schemaOf(query))) wrong.push(`${operation}: its query is\n${write(documented)}\nnot ${query}:\n${write(schemaOf(query))}`)
      }
    }
    expect(wrong).toEqual([])
  })

  test("what the desktop's client receives for each operation fits its type strictly; so do problems and live order events", async () => {
    const product = await s.product({ price: 1250, stock: 10, name: 'Wire type lamp' })
    const answers: { operation: string; status: number; body: unknown }[] = []
    const problems: { request: string; body: unknown }[] = []
    let streams = 0
    // The client's own fetch, recording every JSON answer it gets.
    const recording = async (url: string, init?: RequestInit) => {
      const response = await fetch(url, init)
      const type = response.headers.get('content-type') ?? ''
      if (type.startsWith('text/event-stream')) streams++
      if (type.startsWith('application/json') || type.startsWith('application/problem+json')) {
        const body = await response.clone().json()
        const method = init?.method ?? 'GET'
        if (type.startsWith('application/problem+json')) problems.push({ request: `${method} ${new URL(url).pathname}`, body })
        else answers.push({ operation: operationOf(method, url) ?? `${method} ${new URL(url).pathname} (not in HTTP_OPERATIONS)`, status: response.status, body })
      }
      return response
    }
    let refreshToken: string | null = null
    const tokens = { load: async () => refreshToken, save: async (t: string | null) => void (refreshToken = t) }
    const open = () => new ShopClient({ serverUrl: s.urls.gateway, tokens, pending: { load: async () => [], save: async () => {} }, fetch: recording })

    const shop = open()
    const email = `wire-${crypto.randomUUID().slice(0, 8)}@system.test`
    await shop.register({ email, password: 'correct horse battery', name: 'Wire' })
    await shop.login({ email, password: 'correct horse battery' })
    // A second start of the app: signed in again with the stored refresh token.
    const again = open()
    expect(await again.session()).toMatchObject({ email })
    expect(await shop.wallet()).toBeNull()
    await shop.createWallet('EUR')
    await shop.topUp(10_000)
    expect(await shop.wallet()).toMatchObject({ balance: 10_000, currency: 'EUR', topUpProvider: 'demo', stripePublishableKey: null })
    const events: Event[] = []
    const walletEvents: Gen.WalletEvent[] = []
    const stop = shop.onOrderEvent((event) => events.push(event))
    const stopWallet = shop.onWalletEvent((event) => walletEvents.push(event))
    try {
      // The stream starts at its present: open before the order is made, so it sees all of it.
      expect(await waitFor(() => streams > 0)).toBe(true)
      // A demo top-up settles at once, and its news arrives on the same stream.
      const topUp = await shop.topUp(2_500)
      expect(topUp).toMatchObject({ status: 'succeeded', demo: true, amount: 2_500 })
      expect((await shop.topUpStatus(topUp.id)).ledgerEntryId).toBe(topUp.ledgerEntryId)
      expect(await waitFor(() => walletEvents.some((e) => e.topUpId === topUp.id && e.status === 'succeeded'), 15_000)).toBe(true)
      expect(streams).toBe(1)
      await shop.transactions()
      await shop.products({ q: 'lamp' })
      await shop.categories()
      expect(await shop.currencies()).toContainEqual(expect.objectContaining({ code: 'EUR' }))
      const placed = await shop.placeOrder([{ productId: product.id, quantity: 2 }])
      await shop.order(placed.id)
      await shop.cancelOrder(placed.id)
      await shop.orders()
      expect(await waitFor(() => events.some((e) => e.orderId === placed.id && e.status === 'CANCELLED'), 15_000)).toBe(true)
    } finally {
      stop()
      stopWallet()
    }

    // The owner's console, through the same client signed in as the admin.
    const owner = open()
    await owner.login({ email: 'admin@system.test', password: 'admin password 123' })
    const adminEvents: unknown[] = []
    const stopAdmin = owner.onAdminOrderEvent((event) => adminEvents.push(event))
    try {
      expect(await waitFor(() => streams > 1)).toBe(true)
      const paid = await shop.placeOrder([{ productId: product.id, quantity: 1 }])
      expect(await waitFor(async () => (await shop.order(paid.id)).status === 'PAID', 15_000)).toBe(true)
      expect((await owner.shipOrder(paid.id, { carrier: 'DHL', trackingNumber: 'JD0001' })).status).toBe('SHIPPED')
      expect((await owner.deliverOrder(paid.id)).status).toBe('DELIVERED')
      await shop.requestReturn(paid.id, 'Too small')
      expect((await owner.receiveReturn(paid.id)).status).toBe('RETURNED')
      expect((await owner.adminOrders({ status: 'RETURNED' })).items.map((o) => o.id)).toContain(paid.id)
      expect((await owner.adminStats('Europe/Berlin')).timeZone).toBe('Europe/Berlin')
      expect((await owner.lowStock(100)).items.map((p) => p.id)).toContain(product.id)
      expect((await owner.adminSystem()).processes.every((p) => p.ready)).toBe(true)
      expect((await owner.adminUser(paid.userId)).email).toBe(email)
      // Products, pictures, stock, customers and reviews, as the console drives them.
      const made = await owner.createProduct({ name: 'Wire type vase', category: 'Home', price: 990, currency: 'EUR', stock: 1 })
      expect((await owner.updateProduct(made.id, { active: false })).active).toBe(false)
      expect((await owner.adminProducts({ q: 'vase', status: 'inactive' })).items.map((p) => p.id)).toContain(made.id)
      expect((await owner.adminProduct(made.id)).active).toBe(false)
      const png = new Uint8Array(await noisyPng(64, 48))
      const first = await owner.uploadImage(made.id, { name: 'a.png', type: 'image/png', bytes: png })
      const second = await owner.uploadImage(made.id, { name: 'b.png', type: 'image/png', bytes: png })
      expect((await owner.reorderImages(made.id, [second.id, first.id])).map((i) => i.id)).toEqual([second.id, first.id])
      await owner.deleteImage(made.id, first.id)
      expect((await owner.supply({ reference: 'PO-1', items: [{ productId: made.id, quantity: 5 }] })).items).toEqual([{ productId: made.id, quantity: 5 }])
      expect((await owner.adjustStock({ productId: made.id, delta: -1, reason: 'Broken in the store' })).delta).toBe(-1)
      expect((await owner.movements(made.id)).items.map((m) => m.kind)).toEqual(['adjustment', 'supply', 'initial'])
      expect((await owner.adminUsers('wire-')).items.map((u) => u.email)).toContain(email)
      expect((await owner.adminWallet(paid.userId))?.currency).toBe('EUR')
      // A review to moderate: an order delivered to the customer, who reviews it.
      const kept = await shop.placeOrder([{ productId: product.id, quantity: 1 }])
      expect(await waitFor(async () => (await shop.order(kept.id)).status === 'PAID', 15_000)).toBe(true)
      await owner.shipOrder(kept.id, { carrier: 'DHL', trackingNumber: 'JD0002' })
      await owner.deliverOrder(kept.id)
      expect(await waitFor(async () => (await shop.myReview(product.id)).canReview, 15_000)).toBe(true)
      const review = await shop.writeReview({ productId: product.id, rating: 4, body: 'Bright enough.' })
      expect((await owner.setReviewHidden(review.id, true)).hidden).toBe(true)
      expect((await owner.adminReviews({ hidden: true, productId: product.id })).items.map((r) => r.id)).toEqual([review.id])
      expect((await owner.setReviewHidden(review.id, false)).hidden).toBe(false)
      expect(await waitFor(() => adminEvents.some((e) => (e as Gen.AdminOrderEvent).orderId === paid.id && (e as Gen.AdminOrderEvent).event === 'returned'), 15_000)).toBe(true)
    } finally {
      stopAdmin()
    }

    const wrong: string[] = []
    for (const { operation, status, body } of answers) {
      const declared = HTTP_OPERATIONS.find((o) => o.operation === operation)
      if (!declared?.answer) wrong.push(`${operation}: answered ${status}, no type for it`)
      else if (declared.status !== status) wrong.push(`${operation}: answered ${status}, its type is for ${declared.status}`)
      else wrong.push(...misfits(schemaOf(declared.answer), body, operation))
    }
    for (const { request, body } of problems) wrong.push(...misfits(schemaOf('Problem'), body, `${request} problem`))
    for (const event of events) wrong.push(...misfits(schemaOf('OrderEvent'), event, 'order event'))
    for (const event of walletEvents) wrong.push(...misfits(schemaOf('WalletEvent'), event, 'wallet event'))
    for (const event of adminEvents) wrong.push(...misfits(schemaOf('AdminOrderEvent'), event, "owner's order event"))
    expect(wrong).toEqual([])
    // Every operation of the list was exercised, and the no-wallet problem and the events seen.
    expect(HTTP_OPERATIONS.filter((o) => o.answer && !answers.some((a) => a.operation === o.operation)).map((o) => o.operation)).toEqual([])
    expect(problems.map((p) => p.request)).toContain('GET /api/wallet')
    expect(events.length).toBeGreaterThanOrEqual(2)
  }, 60_000)
})
