/** Which service owns which public path prefix (the contract's "Public API"). */
export type ServiceName = 'users' | 'orders' | 'payments' | 'catalog' | 'reviews'

export const PREFIXES: [prefix: string, service: ServiceName][] = [
  ['/api/auth', 'users'],
  ['/api/users', 'users'],
  ['/api/admin/users', 'users'],
  ['/api/products', 'catalog'],
  ['/api/categories', 'catalog'],
  ['/api/currencies', 'catalog'],
  ['/api/inventory', 'catalog'],
  ['/api/images', 'catalog'],
  ['/api/wallet', 'payments'],
  ['/api/admin/wallets', 'payments'],
  ['/api/payments', 'payments'],
  ['/api/orders', 'orders'],
  ['/api/admin/orders', 'orders'],
  ['/api/reviews', 'reviews'],
  ['/api/admin/reviews', 'reviews'],
]

/** The service for `path`, matching whole segments (`/api/orders2` is nobody's). */
export function serviceFor(path: string): ServiceName | undefined {
  for (const [prefix, service] of PREFIXES) if (path === prefix || path.startsWith(`${prefix}/`)) return service
  return undefined
}
