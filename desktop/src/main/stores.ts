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
