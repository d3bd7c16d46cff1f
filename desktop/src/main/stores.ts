/**
 * What the app keeps on disk, in its userData folder: the refresh token encrypted with the OS
 * keychain (safeStorage, async API; never in the renderer, never in localStorage), the pending
 * Idempotency-Keys, and the server address. Writes go to a temporary file first and are renamed,
 * so a crash never leaves half a file.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { SafeStorage } from 'electron'
import type { PendingAction } from '../shared/api.ts'
import type { TokenStorage } from '../shared/client.ts'
import type { PendingStorage } from '../shared/pending-actions.ts'

async function writeAtomically(path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temp = `${path}.${process.pid}.tmp`
  await writeFile(temp, data, { mode: 0o600 })
  await rename(temp, path)
}

export function tokenStore(safeStorage: Pick<SafeStorage, 'encryptStringAsync' | 'decryptStringAsync' | 'isAsyncEncryptionAvailable'>, dir: string): TokenStorage {
  const path = join(dir, 'session.bin')
  return {
    async load() {
      if (!existsSync(path)) return null
      try {
        const { result, shouldReEncrypt } = await safeStorage.decryptStringAsync(await readFile(path))
        if (shouldReEncrypt) await writeAtomically(path, await safeStorage.encryptStringAsync(result))
        return result
      } catch {
        // Unreadable (another machine's keychain, a changed key): sign in again.
        await rm(path, { force: true })
        return null
      }
    },
    async save(token) {
      if (token === null) return rm(path, { force: true })
      // Without OS encryption the token is not kept at all: the user signs in on each start.
      if (!(await safeStorage.isAsyncEncryptionAvailable())) return
      await writeAtomically(path, await safeStorage.encryptStringAsync(token))
    },
  }
}

export function pendingStore(dir: string): PendingStorage {
  const path = join(dir, 'pending-actions.json')
  return {
    async load() {
      try {
        const parsed = JSON.parse(await readFile(path, 'utf8')) as unknown
        return Array.isArray(parsed) ? (parsed as PendingAction[]) : []
      } catch {
        return []
      }
    },
    save: (actions) => writeAtomically(path, JSON.stringify(actions)),
  }
}

export interface Settings {
  serverUrl: string
}

export const DEFAULT_SERVER_URL = 'http://localhost:8080'

export function settingsStore(dir: string) {
  const path = join(dir, 'settings.json')
  return {
    async load(): Promise<Settings> {
      try {
        const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<Settings>
        return { serverUrl: typeof parsed.serverUrl === 'string' ? parsed.serverUrl : DEFAULT_SERVER_URL }
      } catch {
        return { serverUrl: DEFAULT_SERVER_URL }
      }
    },
    save: (settings: Settings) => writeAtomically(path, JSON.stringify(settings)),
  }
}

/** The cart's largest file: a cart of a hundred lines is far below it; anything larger is refused. */
export const MAX_CART_BYTES = 1_000_000

/**
 * The cart, kept in a file across restarts. The page sends its lines as they are; they are stored
 * as JSON (an array, at most MAX_CART_BYTES), one write after another so the last change wins.
 */
export function cartStore(dir: string) {
  const path = join(dir, 'cart.json')
  let queue: Promise<void> = Promise.resolve()
  return {
    async load(): Promise<unknown[]> {
      try {
        const parsed = JSON.parse(await readFile(path, 'utf8')) as unknown
        return Array.isArray(parsed) ? parsed : []
      } catch {
        return []
      }
    },
    save(lines: unknown): Promise<void> {
      if (!Array.isArray(lines)) return Promise.reject(new Error('the cart must be a list'))
      const text = JSON.stringify(lines)
      if (text.length > MAX_CART_BYTES) return Promise.reject(new Error('the cart is too large'))
      const write = () => (lines.length === 0 ? rm(path, { force: true }) : writeAtomically(path, text))
      queue = queue.then(write, write)
      return queue
    },
  }
}
