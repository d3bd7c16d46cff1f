/**
 * The shop's product list, kept in memory per catalog process: a search for a common word ranks
 * every product it matches (a fifth of 100,000 is 200 ms of Postgres), and the same few searches
 * and list pages are asked for again and again (bun run bench:catalog-search; docs/performance.md).
 *
 * What is cached is which products a page holds and in what order, with what they show; their
 * stock, reserved and updated_at, which every order changes and which send no NOTIFY, are read
 * again for a page served from here when older than a quarter second (`stockOf`). Every other change to a product
 * (from any process: an API instance, the worker's rating updates) reaches every cache by the
 * triggers of migration 00007 and NOTIFY at commit: one that can move or reorder products (`*`)
 * empties the cache; a product's id (its images changed) drops the pages holding it. A page whose
 * query ran while any change arrived is not kept (its snapshot may predate it). Nothing is served
 * before the process listens. If the listening connection breaks, postgres listens again at once
 * and the cache starts empty then; changes in that gap are missed at most until then, and never
 * longer than `ttlMs` (30 s), after which every entry is read again.
 */
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'

export const listChannel = (schema: string) => `catalog_list_${schema}`

export interface ProductStock {
  id: string
  stock: number
  reserved: number
  updatedAt: Date
}

interface Entry<T> {
  value: T
  ids: string[]
  expires: number
}

export interface ListCacheStats {
  hits: number
  misses: number
  entries: number
}

export class ListCache<T> {
  private readonly entries = new Map<string, Entry<T>>()
  /** Which cached pages hold a product. */
  private readonly byProduct = new Map<string, Set<string>>()
  /** Pages being read now, shared by everyone asking for them meanwhile. */
  private readonly loading = new Map<string, { promise: Promise<T>; generation: number }>()
  /** Stock reads in flight, by product. */
  private readonly stockLoading = new Map<string, Promise<void>>()
  /** Products' stock as last read, and when. */
  private readonly stock = new Map<string, ProductStock & { at: number }>()
  /** Bumped by every change heard: a page computed across a bump is not kept. */
  private generation = 0
  private listening = false
  private unlisten: (() => Promise<void>) | undefined
  private hits = 0
  private misses = 0

  /** How often a page came from memory, how often from Postgres, and how many are kept. */
  get stats(): ListCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size }
  }

  constructor(
    private readonly options: { maxEntries?: number; ttlMs?: number; stockTtlMs?: number; now?: () => number } = {},
  ) {}

  /** Listens for changes on `schema`'s products; until it does, every call goes to `load`. */
  async start(sql: Sql, schema: string, log: Logger): Promise<void> {
    const listener = await sql.listen(
      listChannel(schema),
      (payload) => this.changed(payload),
      () => {
        // (Re)connected: whatever happened while not listening is unknown, so start over.
        this.clear()
        this.listening = true
      },
    )
    this.unlisten = async () => {
      this.listening = false
      await listener.unlisten()
    }
    log.info('product list cache listening', { channel: listChannel(schema) })
  }

  async stop(): Promise<void> {
    await this.unlisten?.().catch(() => {})
    this.clear()
  }

  /** A change heard: `*` (order or membership may have changed) or a product id. */
  changed(payload: string): void {
    this.generation++
    if (payload === '*') return this.clear()
    for (const key of this.byProduct.get(payload) ?? []) this.remove(key)
  }

  /**
   * The cached value for `key`, or `load()`'s, kept when no change arrived meanwhile. `idsOf`
   * names the products the value shows, so a change to one of them drops it.
   */
  async get(key: string, load: () => Promise<T>, idsOf: (value: T) => string[]): Promise<{ value: T; cached: boolean }> {
    const now = (this.options.now ?? Date.now)()
    const hit = this.listening ? this.entries.get(key) : undefined
    if (hit && hit.expires > now) {
      this.hits++
      return { value: hit.value, cached: true }
    }
    if (hit) this.remove(key)
    this.misses++
    // One query per page however many ask for it at once (a popular search just expired); but a
    // read that began before the latest change is not joined: it may not show it.
    const inFlight = this.loading.get(key)
    if (inFlight && inFlight.generation === this.generation) return { value: await inFlight.promise, cached: false }
    const before = this.generation
    const promise = load().then((value) => {
      if (this.listening && this.generation === before) this.put(key, value, idsOf(value), now)
      return value
    })
    const entry = { promise, generation: before }
    this.loading.set(key, entry)
    const done = () => {
      if (this.loading.get(key) === entry) this.loading.delete(key)
    }
    promise.then(done, done)
    return { value: await promise, cached: false }
  }

  private put(key: string, value: T, ids: string[], now: number): void {
    if (this.entries.has(key)) this.remove(key)
    const max = this.options.maxEntries ?? 5000
    // The oldest entry goes first (a Map keeps insertion order).
    while (this.entries.size >= max) this.remove(this.entries.keys().next().value!)
    this.entries.set(key, { value, ids, expires: now + (this.options.ttlMs ?? 30_000) })
    for (const id of ids) {
      let keys = this.byProduct.get(id)
      if (!keys) this.byProduct.set(id, (keys = new Set()))
      keys.add(key)
    }
  }

  private remove(key: string): void {
    const entry = this.entries.get(key)
    if (!entry) return
    this.entries.delete(key)
    for (const id of entry.ids) {
      const keys = this.byProduct.get(id)
      keys?.delete(key)
      if (keys?.size === 0) this.byProduct.delete(id)
    }
  }

  /**
   * What every order changes of `ids` (stock, reserved, updated_at), read with `load` for those not
   * read in the last `stockTtlMs` (250 ms): a page served from the cache shows stock at most that
   * old, at a query per product per quarter second however many pages and requests show it.
   */
  async stockOf(ids: string[], load: (ids: string[]) => Promise<ProductStock[]>): Promise<Map<string, ProductStock>> {
    const now = (this.options.now ?? Date.now)()
    const ttl = this.options.stockTtlMs ?? 250
    const stale = ids.filter((id) => !((this.stock.get(id)?.at ?? -Infinity) + ttl > now))
    // Products already being read for another page are waited for, not read again.
    const toRead = stale.filter((id) => !this.stockLoading.has(id))
    if (toRead.length) {
      if (this.stock.size > 100_000) this.stock.clear()
      const before = this.generation
      const reading = load(toRead)
        .then((rows) => {
          // Read before a change this process heard of (its own stock write): answered, not kept.
          if (this.generation === before) for (const row of rows) this.stock.set(row.id, { ...row, at: now })
          else for (const row of rows) this.stock.set(row.id, { ...row, at: -Infinity })
        })
        .finally(() => {
          for (const id of toRead) if (this.stockLoading.get(id) === reading) this.stockLoading.delete(id)
        })
      for (const id of toRead) this.stockLoading.set(id, reading)
    }
    await Promise.all(new Set(stale.map((id) => this.stockLoading.get(id)).filter((p) => p !== undefined)))
    const found = new Map<string, ProductStock>()
    for (const id of ids) {
      const row = this.stock.get(id)
      if (row) found.set(id, row)
    }
    return found
  }

  clear(): void {
    this.entries.clear()
    this.byProduct.clear()
    this.stock.clear()
    this.stockLoading.clear()
  }
}
