/**
 * The desktop's wire types, written from the services' own schemas: `bun run gen:api-types`
 * writes desktop/src/shared/api-types.gen.ts (checked in), `--check` only says whether it is up
 * to date. The schemas are the TypeBox ones the routes declare as their answers and bodies (JSON
 * Schema; Elysia checks every answer against them), read here without starting anything: no
 * database, no port. tests/api-types.test.ts fails while the checked-in file differs, and checks
 * on a running system that the operations the desktop calls answer exactly these schemas
 * (`HTTP_OPERATIONS`).
 *
 * The renderer understands the part of JSON Schema the services use (objects, arrays, strings,
 * integers, numbers, booleans, null, literals, unions, records) and stops with an error on
 * anything else, so that no field silently becomes `unknown`.
 */
import { isCoercedNumber } from '@shop/shared/http/api-docs'
import { Problem } from '@shop/shared/http/errors'
import { Page } from '@shop/shared/http/pagination'
import { AdminListQuery as AdminProductListQuery, Category_, CreateProduct, CurrencyUse, ListQuery, Product, UpdateProduct } from '../services/catalog/src/modules/products/model.ts'
import { ImageList, ImageSchema } from '../services/catalog/src/modules/images/routes.ts'
import { AdminListOrdersQuery, CreateOrder, HistoryEntry, Order, OrderEvent, ShipOrder, WalletEvent } from '../services/orders/src/modules/orders/model.ts'
import { AdminOrderEvent, OrderStats } from '../services/orders/src/modules/stats/model.ts'
import { AdjustmentBody, LowStockItem, Movement, Supply, SupplyBody } from '../services/catalog/src/modules/inventory/model.ts'
import { SystemStatus } from '../services/gateway/src/modules/system/routes.ts'
import { CreateWallet, LedgerEntry, Wallet } from '../services/payments/src/modules/wallets/model.ts'
import { TopUp, topUpBody } from '../services/payments/src/modules/top-ups/model.ts'
import { Login, Register, Tokens } from '../services/users/src/modules/auth/model.ts'
import { UpdateMe, User, UserListItem } from '../services/users/src/modules/users/model.ts'
import { Address, CreateAddress } from '../services/users/src/modules/addresses/model.ts'
import { AdminListQuery as AdminReviewListQuery, AdminReview, CreateReview, MyReview, Review, ReviewListQuery, Summary, UpdateReview } from '../services/reviews/src/modules/reviews/model.ts'

type Schema = Record<string, unknown>

export const OUTPUT = 'desktop/src/shared/api-types.gen.ts'
export const COMMAND = 'bun run gen:api-types'

/** Stands for a type parameter in a generic schema (`Page(T)`). */
const parameter = (name: string): Schema => ({ 'x-type-parameter': name })

const withoutNull = (schema: Schema): Schema => ({ anyOf: (schema.anyOf as Schema[]).filter((s) => s.type !== 'null') })

export interface WireType {
  name: string
  schema: Schema
  /** Where the schema is defined. */
  from: string
  /** Type parameters, each a `parameter(name)` in the schema. */
  params?: string[]
  /** Written as this name wherever the same type appears inside another (and `Name | null`). */
  reuse?: boolean
  doc?: string
}

export const WIRE_TYPES: WireType[] = [
  { name: 'Problem', schema: Problem, from: 'shared/src/http/errors.ts Problem', doc: 'Every error answer, as application/problem+json.' },
  { name: 'Page', schema: Page(parameter('T') as never), params: ['T'], from: 'shared/src/http/pagination.ts Page' },
  { name: 'User', schema: User, from: 'services/users/src/modules/users/model.ts User' },
  { name: 'Tokens', schema: Tokens, from: 'services/users/src/modules/auth/model.ts Tokens' },
  { name: 'Register', schema: Register, from: 'services/users/src/modules/auth/model.ts Register' },
  { name: 'Login', schema: Login, from: 'services/users/src/modules/auth/model.ts Login' },
  { name: 'UpdateMe', schema: UpdateMe, from: 'services/users/src/modules/users/model.ts UpdateMe' },
  { name: 'Address', schema: Address, from: 'services/users/src/modules/addresses/model.ts Address' },
  { name: 'CreateAddress', schema: CreateAddress, from: 'services/users/src/modules/addresses/model.ts CreateAddress (the shape orders take as shippingAddress)' },
  { name: 'Wallet', schema: Wallet, from: 'services/payments/src/modules/wallets/model.ts Wallet' },
  { name: 'CreateWallet', schema: CreateWallet, from: 'services/payments/src/modules/wallets/model.ts CreateWallet' },
  // The largest deposit is configuration (a bound, not a type): any value gives the same type.
  { name: 'LedgerEntry', schema: LedgerEntry, from: 'services/payments/src/modules/wallets/model.ts LedgerEntry' },
  { name: 'Product', schema: Product, from: 'services/catalog/src/modules/products/model.ts Product' },
  { name: 'ProductListQuery', schema: ListQuery, from: 'services/catalog/src/modules/products/model.ts ListQuery' },
  { name: 'Category', schema: Category_, from: 'services/catalog/src/modules/products/model.ts Category_' },
  { name: 'CurrencyUse', schema: CurrencyUse, from: 'services/catalog/src/modules/products/model.ts CurrencyUse' },
  { name: 'OrderStatus', schema: Order.properties.status, reuse: true, from: 'services/orders/src/modules/orders/model.ts Order.status' },
  {
    name: 'CancelReason',
    schema: withoutNull(Order.properties.reason),
    reuse: true,
    from: 'services/orders/src/modules/orders/model.ts Order.reason (CANCEL_REASONS of shared/src/domain/contracts.ts)',
  },
  { name: 'HistoryEntry', schema: HistoryEntry, reuse: true, from: 'services/orders/src/modules/orders/model.ts HistoryEntry' },
  { name: 'Order', schema: Order, from: 'services/orders/src/modules/orders/model.ts Order' },
  { name: 'CreateOrder', schema: CreateOrder, from: 'services/orders/src/modules/orders/model.ts CreateOrder' },
  { name: 'ShipOrder', schema: ShipOrder, from: 'services/orders/src/modules/orders/model.ts ShipOrder' },
  { name: 'AdminOrderQuery', schema: AdminListOrdersQuery, from: 'services/orders/src/modules/orders/model.ts AdminListOrdersQuery' },
  { name: 'OrderStats', schema: OrderStats, from: 'services/orders/src/modules/stats/model.ts OrderStats' },
  {
    name: 'AdminOrderEvent',
    schema: AdminOrderEvent,
    from: 'services/orders/src/modules/stats/model.ts AdminOrderEvent',
    doc: 'The data of each `event: order` of GET /api/admin/orders/events (text/event-stream).',
  },
  { name: 'LowStockItem', schema: LowStockItem, from: 'services/catalog/src/modules/inventory/model.ts LowStockItem' },
  { name: 'SystemStatus', schema: SystemStatus, from: 'services/gateway/src/modules/system/routes.ts SystemStatus' },
  { name: 'AdminProductQuery', schema: AdminProductListQuery, from: 'services/catalog/src/modules/products/model.ts AdminListQuery' },
  { name: 'CreateProduct', schema: CreateProduct, from: 'services/catalog/src/modules/products/model.ts CreateProduct' },
  { name: 'UpdateProduct', schema: UpdateProduct, from: 'services/catalog/src/modules/products/model.ts UpdateProduct' },
  { name: 'Image', schema: ImageSchema, reuse: true, from: 'services/catalog/src/modules/images/routes.ts ImageSchema' },
  { name: 'ImageList', schema: ImageList, from: 'services/catalog/src/modules/images/routes.ts ImageList' },
  { name: 'SupplyInput', schema: SupplyBody, from: 'services/catalog/src/modules/inventory/model.ts SupplyBody' },
  { name: 'Supply', schema: Supply, from: 'services/catalog/src/modules/inventory/model.ts Supply' },
  { name: 'AdjustmentInput', schema: AdjustmentBody, from: 'services/catalog/src/modules/inventory/model.ts AdjustmentBody' },
  { name: 'Movement', schema: Movement, from: 'services/catalog/src/modules/inventory/model.ts Movement' },
  { name: 'UserListItem', schema: UserListItem, from: 'services/users/src/modules/users/model.ts UserListItem' },
  { name: 'AdminReviewQuery', schema: AdminReviewListQuery, from: 'services/reviews/src/modules/reviews/model.ts AdminListQuery' },
  { name: 'Review', schema: Review, from: 'services/reviews/src/modules/reviews/model.ts Review' },
  { name: 'AdminReview', schema: AdminReview, from: 'services/reviews/src/modules/reviews/model.ts AdminReview' },
  { name: 'CreateReview', schema: CreateReview, from: 'services/reviews/src/modules/reviews/model.ts CreateReview' },
  { name: 'UpdateReview', schema: UpdateReview, from: 'services/reviews/src/modules/reviews/model.ts UpdateReview' },
  { name: 'ReviewListQuery', schema: ReviewListQuery, from: 'services/reviews/src/modules/reviews/model.ts ReviewListQuery' },
  { name: 'RatingSummary', schema: Summary, from: 'services/reviews/src/modules/reviews/model.ts Summary' },
  { name: 'MyReview', schema: MyReview, from: 'services/reviews/src/modules/reviews/model.ts MyReview' },
  {
    name: 'OrderEvent',
    schema: OrderEvent,
    from: 'services/orders/src/modules/orders/model.ts OrderEvent',
    doc: 'The data of each `event: order` of GET /api/orders/events (text/event-stream).',
  },
  {
    name: 'WalletEvent',
    schema: WalletEvent,
    from: 'services/orders/src/modules/orders/model.ts WalletEvent',
    doc: 'The data of each `event: wallet` of GET /api/orders/events: a wallet top-up settled.',
  },
  { name: 'TopUp', schema: TopUp, from: 'services/payments/src/modules/top-ups/model.ts TopUp' },
  { name: 'CreateTopUp', schema: topUpBody(1), from: 'services/payments/src/modules/top-ups/model.ts topUpBody' },
]

/**
 * The operations the desktop calls, with the type of their answer (`status`) and of their body:
 * the test checks them against the API document of a running system.
 */
export const HTTP_OPERATIONS: { operation: string; status?: number; answer?: string; body?: string; query?: string }[] = [
  { operation: 'POST /api/auth/register', body: 'Register', status: 201, answer: 'User' },
  { operation: 'POST /api/auth/login', body: 'Login', status: 200, answer: 'Tokens' },
  { operation: 'POST /api/auth/refresh', status: 200, answer: 'Tokens' },
  { operation: 'GET /api/users/me', status: 200, answer: 'User' },
  { operation: 'GET /api/users/{id}', status: 200, answer: 'User' },
  { operation: 'GET /api/wallet', status: 200, answer: 'Wallet' },
  { operation: 'POST /api/wallet', body: 'CreateWallet', status: 201, answer: 'Wallet' },
  { operation: 'GET /api/wallet/transactions', status: 200, answer: 'Page<LedgerEntry>' },
  { operation: 'POST /api/wallet/top-ups', body: 'CreateTopUp', status: 201, answer: 'TopUp' },
  { operation: 'GET /api/wallet/top-ups/{id}', status: 200, answer: 'TopUp' },
  { operation: 'GET /api/products', query: 'ProductListQuery', status: 200, answer: 'Page<Product>' },
  { operation: 'GET /api/categories', status: 200, answer: 'Page<Category>' },
  { operation: 'GET /api/currencies', status: 200, answer: 'Page<CurrencyUse>' },
  { operation: 'GET /api/orders', status: 200, answer: 'Page<Order>' },
  { operation: 'GET /api/orders/{id}', status: 200, answer: 'Order' },
  { operation: 'POST /api/orders', body: 'CreateOrder', status: 202, answer: 'Order' },
  { operation: 'POST /api/orders/{id}/cancel', status: 200, answer: 'Order' },
  { operation: 'POST /api/orders/{id}/return', status: 200, answer: 'Order' },
  { operation: 'POST /api/orders/{id}/ship', body: 'ShipOrder', status: 200, answer: 'Order' },
  { operation: 'POST /api/orders/{id}/deliver', status: 200, answer: 'Order' },
  { operation: 'POST /api/orders/{id}/return/receive', status: 200, answer: 'Order' },
  { operation: 'GET /api/admin/orders', query: 'AdminOrderQuery', status: 200, answer: 'Page<Order>' },
  { operation: 'GET /api/admin/orders/stats', status: 200, answer: 'OrderStats' },
  { operation: 'GET /api/inventory/low-stock', status: 200, answer: 'Page<LowStockItem>' },
  { operation: 'GET /api/admin/system', status: 200, answer: 'SystemStatus' },
  { operation: 'GET /api/inventory/products', query: 'AdminProductQuery', status: 200, answer: 'Page<Product>' },
  { operation: 'GET /api/inventory/products/{id}', status: 200, answer: 'Product' },
  { operation: 'POST /api/products', body: 'CreateProduct', status: 201, answer: 'Product' },
  { operation: 'PATCH /api/products/{id}', body: 'UpdateProduct', status: 200, answer: 'Product' },
  { operation: 'POST /api/products/{id}/images', status: 201, answer: 'Image' },
  { operation: 'PUT /api/products/{id}/images/order', status: 200, answer: 'ImageList' },
  { operation: 'POST /api/inventory/supplies', body: 'SupplyInput', status: 201, answer: 'Supply' },
  { operation: 'POST /api/inventory/adjustments', body: 'AdjustmentInput', status: 201, answer: 'Movement' },
  { operation: 'GET /api/inventory/movements', status: 200, answer: 'Page<Movement>' },
  { operation: 'GET /api/admin/users', status: 200, answer: 'Page<UserListItem>' },
  { operation: 'GET /api/admin/wallets/{userId}', status: 200, answer: 'Wallet' },
  { operation: 'GET /api/reviews/mine', status: 200, answer: 'MyReview' },
  { operation: 'POST /api/reviews', body: 'CreateReview', status: 201, answer: 'Review' },
  { operation: 'GET /api/admin/reviews', query: 'AdminReviewQuery', status: 200, answer: 'Page<AdminReview>' },
  { operation: 'POST /api/reviews/{id}/hide', status: 200, answer: 'AdminReview' },
  { operation: 'POST /api/reviews/{id}/unhide', status: 200, answer: 'AdminReview' },
]

// --- Rendering ------------------------------------------------------------------------------

export interface RenderOptions {
  /** Replace types marked `reuse` by their name (off: everything written out). */
  names?: boolean
  /** JSDoc for formats, integers and descriptions. */
  comments?: boolean
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

function literal(value: unknown): string {
  if (typeof value === 'string') return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  throw new Error(`cannot write the literal ${JSON.stringify(value)}`)
}

/** The keywords that only constrain values (bounds, patterns, messages): no part of the type. */
const IGNORED = new Set([
  'description', 'title', 'format', 'default', 'examples', 'error', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum',
  'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties',
  'additionalProperties', '$id', 'readOnly', 'writeOnly', 'deprecated', // additionalProperties: only `false` (below)
])
const UNDERSTOOD = new Set(['type', 'properties', 'required', 'items', 'anyOf', 'oneOf', 'const', 'enum', 'patternProperties', 'x-type-parameter'])

function comment(schema: Schema): string | undefined {
  const words: string[] = []
  if (typeof schema.description === 'string') words.push(schema.description)
  const number = isCoercedNumber(schema)
  if (schema.type === 'integer' || number === 'integer') words.push('integer')
  if (typeof schema.format === 'string' && schema.type === 'string') words.push(schema.format)
  return words.length ? words.join('; ') : undefined
}

export class SchemaRenderer {
  private readonly reusable: { name: string; text: string }[]

  constructor(types: WireType[] = WIRE_TYPES) {
    this.reusable = types.filter((t) => t.reuse).map((t) => ({ name: t.name, text: this.render(t.schema, { names: false, comments: false }) }))
  }

  /** The TypeScript type of `schema`; `at` names the place in errors; `declaring`: not by its own name. */
  render(schema: Schema, options: RenderOptions = {}, indent = '', at = '', declaring = false): string {
    const o = { names: true, comments: true, ...options }
    if (o.names && !declaring) {
      const expanded = this.render(schema, { ...o, names: false, comments: false }, '', at)
      const named = this.reusable.find((r) => r.text === expanded)
      if (named) return named.name
    }
    for (const key of Object.keys(schema))
      if (!IGNORED.has(key) && !UNDERSTOOD.has(key)) throw new Error(`${at || 'schema'}: cannot write the keyword "${key}" as a type (${JSON.stringify(schema)})`)
    if (typeof schema.additionalProperties === 'object') throw new Error(`${at || 'schema'}: cannot write additionalProperties as a schema (${JSON.stringify(schema)})`)

    const param = schema['x-type-parameter']
    if (typeof param === 'string') return param
    if ('const' in schema) return literal(schema.const)
    if (Array.isArray(schema.enum)) return schema.enum.map(literal).join(' | ')
    const number = isCoercedNumber(schema)
    if (number) return 'number'
    const union = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined
    if (Array.isArray(union)) {
      const nonNull = union.filter((s) => s.type !== 'null')
      // `Name | null` for a reusable type that may be null.
      if (o.names && nonNull.length > 1 && nonNull.length < union.length) {
        const rest = this.render({ anyOf: nonNull }, { ...o, names: false, comments: false }, '', at)
        const named = this.reusable.find((r) => r.text === rest)
        if (named) return `${named.name} | null`
      }
      return union.map((s, i) => this.render(s, o, indent, `${at}|${i}`)).join(' | ')
    }
    if (Array.isArray(schema.type)) return schema.type.map((type) => this.render({ ...schema, type }, o, indent, at)).join(' | ')
    switch (schema.type) {
      case 'string':
        return 'string'
      case 'integer':
      case 'number':
        return 'number'
      case 'boolean':
        return 'boolean'
      case 'null':
        return 'null'
      case 'array': {
        if (!schema.items || typeof schema.items !== 'object' || Array.isArray(schema.items)) throw new Error(`${at}: an array needs one items schema`)
        const item = this.render(schema.items as Schema, o, indent, `${at}[]`)
        return /[|&]/.test(item) && !item.trimStart().startsWith('{') ? `(${item})[]` : `${item}[]`
      }
      case 'object':
        return this.object(schema, o, indent, at)
      case undefined:
        if (Object.keys(schema).every((key) => IGNORED.has(key))) return 'unknown'
    }
    throw new Error(`${at || 'schema'}: cannot write ${JSON.stringify(schema)} as a type`)
  }

  private object(schema: Schema, o: Required<RenderOptions>, indent: string, at: string): string {
    const properties = (schema.properties ?? {}) as Record<string, Schema>
    const required = new Set((schema.required ?? []) as string[])
    const patterns = schema.patternProperties as Record<string, Schema> | undefined
    if (patterns) {
      if (Object.keys(properties).length > 0) throw new Error(`${at}: properties beside patternProperties`)
      const values = Object.values(patterns).map((s, i) => this.render(s, o, indent, `${at}{${i}}`))
      return `Record<string, ${values.join(' | ')}>`
    }
    const inner = `${indent}  `
    const lines: string[] = []
    for (const [key, value] of Object.entries(properties)) {
      const words = o.comments ? comment(value) : undefined
      if (words) lines.push(`${inner}/** ${words} */`)
      const name = IDENTIFIER.test(key) ? key : literal(key)
      lines.push(`${inner}${name}${required.has(key) ? '' : '?'}: ${this.render(value, o, inner, at ? `${at}.${key}` : key)}`)
    }
    return lines.length ? `{\n${lines.join('\n')}\n${indent}}` : 'Record<string, never>'
  }

  /** `export interface Name { ... }` (an object) or `export type Name = ...`, with its JSDoc. */
  declaration(type: WireType, operations = HTTP_OPERATIONS): string {
    const body = this.render(type.schema, {}, '', type.name, true)
    const params = type.params?.length ? `<${type.params.join(', ')}>` : ''
    const doc = [type.doc ?? (typeof type.schema.description === 'string' ? `${type.schema.description}.` : undefined), `From ${type.from}.`]
    const answered = operations.filter((op) => op.answer && mentions(op.answer, type.name)).map((op) => `${op.operation} (${op.status}${op.answer === type.name ? '' : `, as ${op.answer}`})`)
    const sent = operations.flatMap((op) => (op.body === type.name ? [op.operation] : op.query === type.name ? [`${op.operation} (the query)`] : []))
    if (answered.length) doc.push('Answered by:', ...answered.map((op) => `- ${op}`))
    if (sent.length) doc.push('Sent to:', ...sent.map((op) => `- ${op}`))
    const jsdoc = `/**\n${doc.filter(Boolean).map((line) => ` * ${line}`).join('\n')}\n */`
    const declaration = body.startsWith('{') ? `export interface ${type.name}${params} ${body}` : `export type ${type.name}${params} = ${body}`
    return `${jsdoc}\n${declaration}\n`
  }
}

const mentions = (expression: string, name: string) => new RegExp(`\\b${name}\\b`).test(expression)

/** The schema a type expression (`Order`, `Page<Order>`) stands for. */
export function schemaOf(expression: string, types: WireType[] = WIRE_TYPES): Schema {
  const match = /^(\w+)(?:<(\w+)>)?$/.exec(expression)
  const type = match && types.find((t) => t.name === match[1])
  if (!match || !type) throw new Error(`no wire type ${expression}`)
  if (!match[2]) return type.schema
  const argument = schemaOf(match[2], types)
  const substitute = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(substitute)
    if (!node || typeof node !== 'object') return node
    if ((node as Schema)['x-type-parameter'] === type.params?.[0]) return argument
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, substitute(v)]))
  }
  return substitute(type.schema) as Schema
}

/** The generated file, as it should be checked in. */
export function generate(types: WireType[] = WIRE_TYPES): string {
  const renderer = new SchemaRenderer(types)
  const header = `// Generated by \`${COMMAND}\` (scripts/gen-api-types.ts) from the services' schemas: do not edit.
// A schema changed in a service changes this file: tests/api-types.test.ts fails until it is
// regenerated, and the desktop's typecheck then fails wherever the app relied on what changed.
// desktop/src/shared/api.ts gives these types the names the app uses.
`
  return `${header}\n${types.map((t) => renderer.declaration(t)).join('\n')}`
}

if (import.meta.main) {
  const path = `${import.meta.dir}/../${OUTPUT}`
  const text = generate()
  const current = await Bun.file(path).text().catch(() => '')
  if (process.argv.includes('--check')) {
    if (current !== text) {
      console.error(`${OUTPUT} is out of date with the services' schemas: run \`${COMMAND}\` and commit it`)
      process.exit(1)
    }
    console.log(`${OUTPUT} is up to date`)
  } else if (current === text) console.log(`${OUTPUT} is up to date`)
  else {
    await Bun.write(path, text)
    console.log(`wrote ${OUTPUT}`)
  }
}
