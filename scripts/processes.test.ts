import { describe, expect, test } from 'bun:test'
import { PROCESSES, localServiceEnv, poolPerInstance, withInstances } from './processes.ts'

describe('several instances (bun run start -- --instances N)', () => {
  test('each API service and worker N times on ports 10 apart; the gateway once', () => {
    const specs = withInstances(2, { USERS_PORT: '9001' })
    expect(specs.length).toBe(PROCESSES.length * 2 - 1)
    expect(specs.filter((s) => s.service === 'gateway').map((s) => s.port)).toEqual([8080])
    const users = specs.filter((s) => s.name.startsWith('users') && s.kind === 'api')
    expect(users.map((s) => [s.name, s.port, s.env!.USERS_PORT])).toEqual([
      ['users', 9001, '9001'],
      ['users-2', 9011, '9011'],
    ])
    const worker = specs.filter((s) => s.service === 'orders' && s.kind === 'worker')
    expect(worker.map((s) => [s.name, s.port])).toEqual([
      ['orders-worker', 8182],
      ['orders-worker-2', 8192],
    ])
    expect(new Set(specs.map((s) => s.port)).size).toBe(specs.length)
  })

  test("N instances share one instance's Postgres connections, so up to three of each stay under max_connections", () => {
    expect([1, 2, 3, 4, 8].map(poolPerInstance)).toEqual([10, 4, 2, 2, 2])
    const processesWithDb = PROCESSES.filter((p) => p.service !== 'gateway').length
    for (const n of [1, 2, 3]) expect(n * processesWithDb * (poolPerInstance(n) + 1)).toBeLessThan(100)
  })

  test('each URL variable lists every instance; one instance is the one URL', () => {
    const env = localServiceEnv({ CATALOG_PORT: '9004' }, 3)
    expect(env.CATALOG_URL).toBe('http://127.0.0.1:9004,http://127.0.0.1:9014,http://127.0.0.1:9024')
    expect(env.GATEWAY_URL).toBe('http://127.0.0.1:8080')
    expect(localServiceEnv({}).USERS_URL).toBe('http://127.0.0.1:8081')
  })
})
