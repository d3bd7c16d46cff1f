/**
 * Who is calling: the address rate limits count against. It is the connection's peer, unless the
 * peer is a proxy we trust (TRUSTED_PROXIES: addresses or CIDR blocks), in which case it is the
 * nearest address in `X-Forwarded-For` that is not one of our proxies, read from the right (a
 * client may write anything to the left of what our proxies appended; nothing to the right).
 */
import { BlockList, isIP } from 'node:net'

export interface TrustedProxies {
  has(address: string): boolean
  /** How many entries were given (0: trust no one). */
  readonly size: number
}

/** Parses `10.0.0.0/8`, `127.0.0.1`, `::1`, `fd00::/8`; throws naming the first bad entry. */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new BlockList()
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/')
    const family = isIP(address ?? '')
    const prefix = bits === undefined ? undefined : Number(bits)
    const max = family === 6 ? 128 : 32
    if (!family || extra !== undefined || (prefix !== undefined && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= max)))
      throw new Error(`"${entry}" is not an IP address or CIDR block`)
    const type = family === 6 ? 'ipv6' : 'ipv4'
    if (prefix === undefined) list.addAddress(address!, type)
    else list.addSubnet(address!, prefix, type)
  }
  return {
    size: entries.length,
    has(address) {
      const family = isIP(address)
      return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4')
    },
  }
}

export const TRUST_NO_ONE: TrustedProxies = { size: 0, has: () => false }

/** The client's address: see the module comment. `peer` is the socket's remote address. */
export function clientAddress(peer: string | undefined, forwardedFor: string | null | undefined, trusted: TrustedProxies): string {
  if (!peer) return 'unknown'
  if (!forwardedFor || !trusted.has(peer)) return peer
  let nearest = peer
  const hops = forwardedFor.split(',')
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!.trim()
    // Anything that is not an address was not written by a proxy of ours: stop at the last one we trust.
    if (!isIP(hop)) return nearest
    if (!trusted.has(hop)) return hop
    nearest = hop
  }
  return nearest
}
