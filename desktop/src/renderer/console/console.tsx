/**
 * The owner's console: loaded only when an admin opens `#/admin` (a chunk of its own, so
 * customers never download it). Every action goes through the public API with the admin's
 * token; money-moving steps keep their Idempotency-Key until answered, as the storefront's do.
 */
import type { User } from '../../shared/api.ts'
import { NotFound } from '../ui.tsx'
import { Dashboard } from './dashboard.tsx'
import { AdminOrder, OrderQueue } from './orders.tsx'
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
] as const

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
        <OrderQueue status={params.get('status') ?? 'PAID'} number={params.get('number') ?? ''} tick={tick} />
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
