/**
 * The owner's console (dashboard, orders, products, inventory, customers, reviews): loaded only when an admin opens `#/admin` (a chunk of its own, so
 * customers never download it). Every action goes through the public API with the admin's
 * token; money-moving steps keep their Idempotency-Key until answered, as the storefront's do.
 */
import type { User } from '../../shared/api.ts'
import { NotFound } from '../ui.tsx'
import { Customer, CustomerList } from './customers.tsx'
import { Dashboard } from './dashboard.tsx'
import { InventoryList, InventoryProduct } from './inventory.tsx'
import { AdminOrder, OrderQueue } from './orders.tsx'
import { ProductEditor, ProductList } from './products.tsx'
import { ReviewModeration } from './reviews.tsx'
import './console.css'

export interface ConsoleProps {
  /** The address after `#/admin/` without its query: `''`, `orders`, `orders/<id>`. */
  path: string
  params: URLSearchParams
  user: User
  /** Bumped on every change of any order (the owner's live stream). */
  tick: number
}

const SECTIONS = [
  ['', 'Dashboard'],
  ['orders', 'Orders'],
  ['products', 'Products'],
  ['inventory', 'Inventory'],
  ['customers', 'Customers'],
  ['reviews', 'Reviews'],
] as const

/**
 * A list whose search words are in the address is drawn anew when they change (its `key`), so
 * the search field starts from the address and nothing typed meanwhile is overwritten.
 */
export default function Console({ path, params, tick }: ConsoleProps) {
  const [section = '', id] = path.split('/')
  return (
    <div class="console">
      <nav class="console-nav" aria-label="Console">
        {SECTIONS.map(([key, label]) => (
          <a key={key} href={`#/admin${key ? `/${key}` : ''}`} class={section === key ? 'active' : ''} aria-current={section === key ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {section === '' ? (
        <Dashboard tick={tick} />
      ) : section === 'orders' && id ? (
        <AdminOrder id={id} tick={tick} />
      ) : section === 'orders' ? (
        <OrderQueue key={params.get('number') ?? ''} status={params.get('status') ?? 'PAID'} number={params.get('number') ?? ''} tick={tick} />
      ) : section === 'products' && id ? (
        <ProductEditor id={id} />
      ) : section === 'products' ? (
        <ProductList key={params.get('q') ?? ''} q={params.get('q') ?? ''} status={params.get('status') ?? 'all'} />
      ) : section === 'inventory' && id ? (
        <InventoryProduct id={id} />
      ) : section === 'inventory' ? (
        <InventoryList key={`${params.get('q') ?? ''}|${params.get('low')}`} q={params.get('q') ?? ''} low={params.get('low') === '1'} />
      ) : section === 'customers' && id ? (
        <Customer id={id} tick={tick} />
      ) : section === 'customers' ? (
        <CustomerList key={params.get('q') ?? ''} q={params.get('q') ?? ''} />
      ) : section === 'reviews' ? (
        <ReviewModeration hidden={params.get('hidden') ?? ''} />
      ) : (
        <NotFound>
          <p>
            The console has no such page. <a href="#/admin">Go to the dashboard</a>
          </p>
        </NotFound>
      )}
    </div>
  )
}
