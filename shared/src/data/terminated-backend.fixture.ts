/**
 * A Postgres backend terminated under a reserved connection and under a transaction, then used
 * again: every query must reject (CONNECTION_CLOSED, or the reset itself), none may hang, and
 * the process must live on. Unpatched, postgres 3.4.9 throws from a setImmediate
 * (porsager/postgres#1208) and the process dies, or a query sent between the socket's error and
 * its close waits forever.
 * Run by db.test.ts in a child process; prints one JSON line.
 */
import postgres from 'postgres'
import { TEST_DATABASE_URL } from '../testing.ts'

const sql = postgres(TEST_DATABASE_URL, { max: 3, onnotice: () => {} })
const killer = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
const within = <T>(promise: Promise<T>) => Promise.race([promise, Bun.sleep(5000).then(() => 'hung' as const)])
const outcome = (query: Promise<unknown>) => within(query.then(() => 'ok', (e: { code?: string }) => e.code ?? 'error'))

const reserved = await sql.reserve()
const [row] = await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`
await killer`select pg_terminate_backend(${row!.pid})`
const reservedOutcomes = [await outcome(reserved`select 1`), await outcome(reserved`select 1`)]
reserved.release()

const transaction = await outcome(
  sql.begin(async (tx) => {
    const [inner] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`
    await killer`select pg_terminate_backend(${inner!.pid})`
    await tx`select 1`
    await tx`select 2`
  }),
)
const pool = await within(sql<{ n: number }[]>`select 3 as n`.then((r) => r[0]!.n))
process.stdout.write(JSON.stringify({ reservedOutcomes, transaction, pool }) + '\n')
await within(Promise.all([sql.end({ timeout: 1 }), killer.end({ timeout: 1 })]))
process.exit(0)
