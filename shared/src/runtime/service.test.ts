import { describe, expect, test } from 'bun:test'
import { workerPort, workerPortEnv } from './service.ts'

const orders = { name: 'orders', port: { default: 8082 } }

describe("a worker's operations port", () => {
  test("is the service's port + 100 unless <NAME>_WORKER_PORT says", () => {
    expect(workerPortEnv(orders)).toBe('ORDERS_WORKER_PORT')
    expect(workerPort(orders, {})).toBe(8182)
    expect(workerPort(orders, { ORDERS_WORKER_PORT: '' })).toBe(8182)
    expect(workerPort(orders, { ORDERS_WORKER_PORT: '9100' })).toBe(9100)
    // 0: any free port, for several workers of one service on one machine.
    expect(workerPort(orders, { ORDERS_WORKER_PORT: '0' })).toBe(0)
  })

  test('refuses what is not a port, naming the variable', () => {
    for (const value of ['http', '-1', '65536', '80.5', ' 8182'])
      expect(() => workerPort(orders, { ORDERS_WORKER_PORT: value })).toThrow('ORDERS_WORKER_PORT must be a port number from 0 to 65535')
  })
})
