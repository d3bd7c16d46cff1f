import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'

describe('the Postgres client', () => {
  test('a terminated backend rejects the queries that use it, and the process lives on (postgres patched)', async () => {
    const child = Bun.spawn(['bun', join(import.meta.dir, 'terminated-backend.fixture.ts')], { stdout: 'pipe', stderr: 'pipe', env: process.env })
    const code = await Promise.race([child.exited, Bun.sleep(30_000).then(() => 'timeout')])
    if (child.exitCode === null) child.kill('SIGKILL')
    const stdout = await new Response(child.stdout as ReadableStream).text()
    const stderr = await new Response(child.stderr as ReadableStream).text()
    expect({ code, stderr: stderr.includes('socket.write') ? stderr.slice(0, 300) : '' }).toEqual({ code: 0, stderr: '' })
    // The first query may meet the reset itself (the error arrives before the close); never a hang.
    expect(JSON.parse(stdout)).toEqual({
      reservedOutcomes: [expect.stringMatching(/^(CONNECTION_CLOSED|ECONNRESET)$/), 'CONNECTION_CLOSED'],
      transaction: expect.stringMatching(/^(CONNECTION_CLOSED|ECONNRESET|57P01)$/),
      pool: 3,
    })
  }, 40_000)
})
