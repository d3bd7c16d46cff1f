/**
 * The owner's customers, read only: search by the start of an email or a name, and a customer's
 * page with their profile, wallet balance and orders.
 */
import { useEffect, useState } from 'preact/hooks'
import type { User, Wallet } from '../../shared/api.ts'
import { api } from '../api.ts'
import { Empty, ErrorBox, Money, PageLoading, SkeletonRows, StatusBadge, day, when } from '../ui.tsx'
import { ShowMore, usePaged } from './paging.tsx'

export function CustomerList({ q }: { q: string }) {
  const [search, setSearch] = useState(q)
  const list = usePaged((cursor) => api.adminUsers(q, cursor), [q])
  const users = list.items

  return (
    <main>
      <h1 tabIndex={-1}>Customers</h1>
      <form
        class="console-filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault()
          location.hash = `/admin/customers${search.trim() ? `?q=${encodeURIComponent(search.trim())}` : ''}`
        }}
      >
        <label>
          Email or name starts with
          <input name="q" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </label>
        <button type="submit">Find</button>
      </form>
      <ErrorBox error={list.error} onRetry={list.reload} />
      {users === null ? (
        !list.error && <SkeletonRows count={5} height="3rem" label="Loading customers…" />
      ) : users.length === 0 ? (
        <Empty>{q ? `Nobody's email or name starts with “${q}”.` : 'Nobody has signed up yet.'}</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Joined</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} data-customer={u.email}>
                <td>
                  <a href={`#/admin/customers/${u.id}`}>{u.name}</a>
                </td>
                <td>{u.email}</td>
                <td>{u.role === 'admin' ? 'Owner (admin)' : 'Customer'}</td>
                <td>{day(u.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ShowMore list={list} label="Show more customers" />
    </main>
  )
}

export function Customer({ id, tick }: { id: string; tick: number }) {
  const [user, setUser] = useState<User | null>(null)
  const [wallet, setWallet] = useState<Wallet | null | undefined>(undefined)
  const [error, setError] = useState<unknown>(null)
  const [attempt, setAttempt] = useState(0)
  const orders = usePaged((cursor) => api.adminOrders({ userId: id, cursor }), [id, tick])

  useEffect(() => {
    let cancelled = false
    Promise.all([api.adminUser(id), api.adminWallet(id)]).then(
      ([u, w]) => !cancelled && (setUser(u), setWallet(w), setError(null)),
      (e) => !cancelled && setError(e),
    )
    return () => {
      cancelled = true
    }
  }, [id, tick, attempt])

  if (!user)
    return (
      <PageLoading error={error} title="Customer" notFoundTitle="Customer not found" onRetry={() => setAttempt((n) => n + 1)} notFound={<p>No customer has this address. <a href="#/admin/customers">Back to the customers</a></p>} />
    )

  return (
    <main>
      <p>
        <a href="#/admin/customers">← Customers</a>
      </p>
      <h1 tabIndex={-1}>{user.name}</h1>
      <div class="order-columns">
        <section class="card" aria-labelledby="profile">
          <h2 id="profile">Profile</h2>
          <dl class="facts">
            <dt>Email</dt>
            <dd>
              <a href={`mailto:${user.email}`}>{user.email}</a>
            </dd>
            <dt>Role</dt>
            <dd>{user.role === 'admin' ? 'Owner (admin)' : 'Customer'}</dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="wallet">
          <h2 id="wallet">Wallet</h2>
          {wallet === null ? (
            <p class="muted">No wallet opened yet.</p>
          ) : wallet ? (
            <p class="balance" data-testid="wallet-balance">
              <Money minor={wallet.balance} currency={wallet.currency} /> <span class="muted small">({wallet.available === wallet.balance ? 'all available' : <>available <Money minor={wallet.available} currency={wallet.currency} /></>})</span>
            </p>
          ) : null}
          <p class="muted small">Read only: money moves through orders, refunds and the customer's own top-ups.</p>
        </section>
      </div>
      <h2>Orders</h2>
      <ErrorBox error={orders.error} onRetry={orders.reload} />
      {orders.items && orders.items.length === 0 ? (
        <Empty>No orders yet.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Placed</th>
              <th scope="col" class="num">
                Total
              </th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {(orders.items ?? []).map((o) => (
              <tr key={o.id} data-order={o.number}>
                <td>
                  <a href={`#/admin/orders/${o.id}`}>#{o.number}</a>
                </td>
                <td>{when(o.createdAt)}</td>
                <td class="num">
                  <Money minor={o.total} currency={o.currency} />
                </td>
                <td>
                  <StatusBadge status={o.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ShowMore list={orders} label="Show older orders" />
    </main>
  )
}
