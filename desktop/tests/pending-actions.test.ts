import { describe, expect, test } from 'bun:test'
import type { PendingAction } from '../src/shared/api.ts'
import { PendingActions, isFinalAnswer, type PendingStorage } from '../src/shared/pending-actions.ts'

function memory(initial: PendingAction[] = []): PendingStorage & { saved: PendingAction[] } {
  const store = {
    saved: initial,
    load: async () => structuredClone(store.saved),
    save: async (actions: PendingAction[]) => {
      store.saved = structuredClone(actions)
    },
  }
  return store
}

let n = 0
const keys = () => `key-${++n}`

describe('PendingActions', () => {
  test('the same action gets the same key until it is answered, then a new one', async () => {
    const store = memory()
    const actions = new PendingActions(store, keys)
    const first = await actions.begin('deposit', 'amount:500')
    expect(await actions.begin('deposit', 'amount:500')).toBe(first)
    await actions.complete(first)
    expect(await actions.begin('deposit', 'amount:500')).not.toBe(first)
  })

  test('a double click in the same tick gets one key', async () => {
    const actions = new PendingActions(memory(), keys)
    const [a, b, c] = await Promise.all([actions.begin('order', 'p1x1'), actions.begin('order', 'p1x1'), actions.begin('order', 'p1x1')])
    expect(a).toBe(b)
    expect(b).toBe(c)
    expect((await actions.pending()).length).toBe(1)
  })

  test('other actions get other keys', async () => {
    const actions = new PendingActions(memory(), keys)
    const deposit = await actions.begin('deposit', 'amount:500')
    expect(await actions.begin('deposit', 'amount:600')).not.toBe(deposit)
    expect(await actions.begin('order', 'amount:500')).not.toBe(deposit)
  })

  test('keys survive a restart (a crash before the answer reuses the key)', async () => {
    const store = memory()
    const before = await new PendingActions(store, keys).begin('order', 'p1x2')
    const after = await new PendingActions(store, keys).begin('order', 'p1x2')
    expect(after).toBe(before)
  })

  test('keys older than a day are forgotten (the server keeps them 24 hours)', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z')
    const store = memory()
    const first = await new PendingActions(store, keys, () => now).begin('deposit', 'amount:1')
    now += 25 * 3600_000
    expect(await new PendingActions(store, keys, () => now).begin('deposit', 'amount:1')).not.toBe(first)
  })

  test('which answers end an action', () => {
    expect(isFinalAnswer(201)).toBe(true)
    expect(isFinalAnswer(422)).toBe(true)
    expect(isFinalAnswer(400)).toBe(true)
    expect(isFinalAnswer(409, 'idempotency_key_in_flight')).toBe(false) // still running: wait for it
    expect(isFinalAnswer(409, 'out_of_stock')).toBe(true)
    expect(isFinalAnswer(429)).toBe(false)
    expect(isFinalAnswer(502)).toBe(false)
    expect(isFinalAnswer(0)).toBe(false) // network
  })
})
