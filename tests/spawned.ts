/** What the tests that run the system as separate processes (`bun run start`) share. */
import postgres from 'postgres'
import { TEST_DATABASE_URL, deleteRedisPrefix, freePort, uniqueName } from '@shop/shared/testing'
import { PROCESSES } from '../scripts/processes.ts'

/** Reads `reader` into `sink` until its text matches `pattern` (true) or `timeoutMs` passes (false). */
export async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, pattern: RegExp, timeoutMs: number, sink: string[]) {
  const decoder = new TextDecoder()
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined
    const next = await Promise.race([
      reader.read(),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), deadline - Date.now())
      }),
    ]).finally(() => clearTimeout(timer))
    if (!next || next.done) break
    sink.push(decoder.decode(next.value))
    if (pattern.test(sink.join(''))) return true
  }
  return false
}

/** Free ports for every process, so a running system on 8080-8085 and 8182-8185 is never touched. */
export function portEnv(): Record<string, string> {
  return Object.fromEntries(PROCESSES.map((p) => [p.portEnv, String(freePort())]))
}

/** JSON over HTTP to `base`. */
export const jsonAt = (base: string) => async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as any }
}

/**
 * A database and a queue prefix of the test's own for a `bun run start` it spawns: `create` in
 * beforeAll, `drop` in afterAll (the database, the prefix's Redis keys, the admin connection).
 */
export function ownStores(label: string) {
  const dbName = uniqueName(label)
  const queuePrefix = uniqueName(`q${label.slice(0, 3)}`)
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
  const url = new URL(TEST_DATABASE_URL)
  url.pathname = `/${dbName}`
  return {
    databaseUrl: url.toString(),
    queuePrefix,
    create: () => admin.unsafe(`create database ${dbName}`).then(() => {}),
    async drop() {
      await deleteRedisPrefix(queuePrefix)
      await admin.unsafe(`drop database if exists ${dbName} with (force)`)
      await admin.end()
    },
  }
}
