/**
 * The decline and cancel reasons are defined once (shared/src/domain/contracts.ts): the databases'
 * CHECK constraints must accept exactly that list, and the app must have words for each. A
 * reason added in one place and forgotten in another fails here, not in a customer's order.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { CANCEL_REASONS, DECLINE_REASONS } from '@shop/shared/domain/contracts'
import { testLog, testSchema, type TestSchema } from '@shop/shared/testing'
import { CANCEL_REASON_TEXT } from '../desktop/src/shared/reasons.ts'
import { migrateOrders } from '../services/orders/src/bootstrap.ts'
import { migratePayments } from '../services/payments/src/bootstrap.ts'

let orders: TestSchema
let payments: TestSchema
beforeAll(async () => {
  orders = testSchema('reasons_ord')
  payments = testSchema('reasons_pay')
  await Promise.all([migrateOrders(orders.sql, orders.schema, testLog), migratePayments(payments.sql, payments.schema, testLog)])
})
afterAll(async () => {
  await orders.drop()
  await payments.drop()
})

/** The values a CHECK constraint of the form `column IN (...)` accepts, read from Postgres. */
async function checkedValues(db: TestSchema, table: string, constraint: string): Promise<string[]> {
  const [row] = await db.sql<{ definition: string }[]>`
    select pg_get_constraintdef(c.oid) as definition from pg_constraint c
    join pg_class t on t.oid = c.conrelid join pg_namespace n on n.oid = t.relnamespace
    where n.nspname = ${db.schema} and t.relname = ${table} and c.conname = ${constraint}`
  expect(row).toBeDefined()
  return [...row!.definition.matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]!).sort()
}

describe('reasons, defined once', () => {
  test("payments' CHECK on decline_reason accepts exactly the contract's decline reasons", async () => {
    expect(await checkedValues(payments, 'payments', 'payments_decline_reason_check')).toEqual([...DECLINE_REASONS].sort())
  })

  test("orders' CHECK on reason accepts exactly the contract's cancel reasons", async () => {
    expect(await checkedValues(orders, 'orders', 'orders_reason_check')).toEqual([...CANCEL_REASONS].sort())
  })

  test('every decline reason is a cancel reason (a declined order is cancelled with it)', () => {
    expect(DECLINE_REASONS.filter((r) => !(CANCEL_REASONS as readonly string[]).includes(r))).toEqual([])
  })

  test('the app has words for exactly the cancel reasons', () => {
    expect(Object.keys(CANCEL_REASON_TEXT).sort()).toEqual([...CANCEL_REASONS].sort())
  })
})
