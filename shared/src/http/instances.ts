/**
 * Calls between services when the callee runs several instances (`bun run start` with
 * `--instances`; the gateway balances its own, see services/gateway/src/modules/proxy/balancer.ts):
 * each call starts at the next instance in turn and moves on when one cannot be reached. Only for
 * calls a repeat cannot do twice: reads, and the catalog's reservations, which are idempotent by
 * order id. One URL (a Kubernetes Service, a load balancer) is simply that URL.
 */
export function instanceFetch(urls: string | readonly string[]) {
  const list = [urls].flat()
  if (list.length === 0) throw new Error('no instance URL')
  let next = 0
  return async (path: string, init: Omit<RequestInit, 'signal'>, timeoutMs: number): Promise<Response> => {
    const start = next++ % list.length
    let last: unknown
    for (let i = 0; i < list.length; i++) {
      try {
        return await fetch(new URL(path, list[(start + i) % list.length]), { ...init, signal: AbortSignal.timeout(timeoutMs) })
      } catch (error) {
        last = error
      }
    }
    throw last
  }
}
