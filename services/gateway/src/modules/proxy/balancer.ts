/**
 * Several instances behind one route prefix: requests are spread over them in turn; an instance
 * that refuses connections (stopped, crashed, restarting) is left out for `downMs`, then tried
 * again. When every instance is marked down they are all tried anyway: a mark is a guess, and
 * refusing a request outright would turn a short blip into an outage.
 */
export class UpstreamPool {
  private next = 0
  private readonly downUntil = new Map<string, number>()

  constructor(
    readonly urls: readonly string[],
    private readonly downMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {
    if (urls.length === 0) throw new Error('an upstream pool needs at least one URL')
  }

  /** The next instance to try, skipping those in `tried` and (while any other is up) those marked down; undefined when all were tried. */
  pick(tried: ReadonlySet<string> = new Set()): string | undefined {
    const candidates = this.urls.filter((url) => !tried.has(url))
    if (candidates.length === 0) return undefined
    const now = this.now()
    const up = candidates.filter((url) => (this.downUntil.get(url) ?? 0) <= now)
    const from = up.length > 0 ? up : candidates
    return from[this.next++ % from.length]
  }

  /** The instance refused a connection: left out of the turn for a while. */
  markDown(url: string): void {
    this.downUntil.set(url, this.now() + this.downMs)
  }

  /** It answered: in the turn again at once. */
  markUp(url: string): void {
    this.downUntil.delete(url)
  }

  isDown(url: string): boolean {
    return (this.downUntil.get(url) ?? 0) > this.now()
  }
}

/** How a try at one instance ended, for `mayRetry`. */
export type Failure =
  /** Nothing reached the instance (connection refused): it cannot have had an effect. */
  | 'refused'
  /** The connection broke after the request may have been sent (reset, closed mid-answer). */
  | 'broken'
  /** The instance answered 502/503 (its own dependency is down, or it is stopping). */
  | 'unavailable'

/**
 * Whether a request may be sent again to another instance: always when nothing reached the first;
 * otherwise only when a repeat cannot do anything twice, a read (GET, HEAD) or a write the service
 * deduplicates by its Idempotency-Key.
 */
export function mayRetry(method: string, idempotencyKey: boolean, failure: Failure): boolean {
  if (failure === 'refused') return true
  return method === 'GET' || method === 'HEAD' || idempotencyKey
}
