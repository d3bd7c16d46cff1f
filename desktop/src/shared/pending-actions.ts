/**
 * Idempotency keys for money-moving actions, kept until the server has answered. Starting the
 * same action again (same kind and fingerprint: the same amount, the same cart, the same order
 * to cancel) while one is pending returns the same key, so a double click, a crash or a dropped
 * connection can never pay twice. The storage is the page's (web) or a file in main (Electron).
 */
import type { PendingAction } from './api.ts'

export interface PendingStorage {
  load(): Promise<PendingAction[]>
  save(actions: PendingAction[]): Promise<void>
}

/** Pending actions older than this are forgotten (the server keeps keys 24 hours). */
const MAX_AGE_MS = 24 * 3600_000

export class PendingActions {
  private cache: PendingAction[] | undefined
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly storage: PendingStorage,
    private readonly newKey: () => string = () => crypto.randomUUID(),
    private readonly now: () => number = Date.now,
  ) {}

  private async actions(): Promise<PendingAction[]> {
    if (!this.cache) this.cache = (await this.storage.load()).filter((a) => this.now() - Date.parse(a.startedAt) < MAX_AGE_MS)
    return this.cache
  }

  /** Serialises changes: two clicks in the same tick still get one key. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => {})
    return run
  }

  /** The key for this action: the pending one if the same action is unanswered, else a new one. */
  begin(kind: PendingAction['kind'], fingerprint: string): Promise<string> {
    return this.exclusive(async () => {
      const actions = await this.actions()
      const existing = actions.find((a) => a.kind === kind && a.fingerprint === fingerprint)
      if (existing) return existing.key
      const action = { key: this.newKey(), kind, fingerprint, startedAt: new Date(this.now()).toISOString() }
      actions.push(action)
      await this.storage.save(actions)
      return action.key
    })
  }

  /** The server answered (success or a final refusal): the key is done. */
  complete(key: string): Promise<void> {
    return this.exclusive(async () => {
      const actions = await this.actions()
      const left = actions.filter((a) => a.key !== key)
      this.cache = left
      await this.storage.save(left)
    })
  }

  async pending(): Promise<PendingAction[]> {
    return [...(await this.actions())]
  }
}

/** Whether an answer ends the action (a retry should get a new key) or not (retry with the same). */
export function isFinalAnswer(status: number, code?: string): boolean {
  // "Still in flight", 5xx, 429 and network failures are worth retrying with the same key.
  if (status === 409) return code !== 'idempotency_key_in_flight'
  return status < 500 && status !== 429 && status !== 0
}
