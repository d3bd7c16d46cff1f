/**
 * The owner's customers, read only: search by the start of an email or a name, and a customer's
 * page with their profile, wallet balance and orders.
 */
import { useEffect, useState } from 'preact/hooks'
import type { Order, User, UserListItem, Wallet } from '../../shared/api.ts'
import { api } from '../api.ts'
import { Empty, ErrorBox, Money, NotFound, SkeletonRows, StatusBadge, day, isNotFound, when } from '../ui.tsx'

export function CustomerList({ q }: { q: string }) {
  const [users, setUsers] = useState<UserListItem[] | null>(null)
  const [cursor, setCursor] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [search, setSearch] = useState(q)
  const [attempt, setAttempt] = useState(0)

  useEffect(() => setSearch(q), [q])
  useEffect(() => {
    let cancelled = false
    setUsers(null)
    api.adminUsers(q).then(
      (page) => !cancelled && (setUsers(page.items), setCursor(page.nextCursor), setError(null)),
      (e) => !cancelled && setError(e),
    )
    return () => {
      cancelled = true
    }
  }, [q, attempt])

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
      <ErrorBox error={error} onRetry={() => setAttempt((n) => n + 1)} />
      {users === null ? (
        !error && <SkeletonRows count={5} height="3rem" label="Loading customers…" />
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
      {cursor && (
        <button class="secondary more" onClick={() => api.adminUsers(q, cursor).then((page) => (setUsers((l) => [...(l ?? []), ...page.items]), setCursor(page.nextCursor)), setError)}>
          Show more customers
        </button>
      )}
    </main>
  )
}

export function Customer({ id, tick }: { id: string; tick: number }) {
  const [user, setUser] = useState<User | null>(null)
  const [wallet, setWallet] = useState<Wallet | null | undefined>(undefined)
  const [orders, setOrders] = useState<Order[] | null>(null)
  const [cursor, setCursor] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [attempt, setAttempt] = useState(0)

  useEffect(() => {
    let cancelled = false
    Promise.all([api.adminUser(id), api.adminWallet(id), api.adminOrders({ userId: id })]).then(
      ([u, w, page]) => !cancelled && (setUser(u), setWallet(w), setOrders(page.items), setCursor(page.nextCursor), setError(null)),
      (e) => !cancelled && setError(e),
    )
    return () => {
      cancelled = true
    }
  }, [id, tick, attempt])

  if (!user)
    return error ? (
      isNotFound(error) ? (
        <NotFound title="Customer not found">
          <p>
            No customer has this address. <a href="#/admin/customers">Back to the customers</a>
          </p>
        </NotFound>
      ) : (
        <main>
          <h1 tabIndex={-1}>Customer</h1>
          <ErrorBox error={error} onRetry={() => setAttempt((n) => n + 1)} />
        </main>
      )
    ) : (
      <main aria-busy="true">
        <h1 class="skeleton-text">Loading the customer…</h1>
        <SkeletonRows count={3} height="3rem" label="Loading the customer…" />
      </main>
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
      {orders && orders.length === 0 ? (
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
            {(orders ?? []).map((o) => (
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
      {cursor && (
        <button class="secondary more" onClick={() => api.adminOrders({ userId: id, cursor }).then((page) => (setOrders((l) => [...(l ?? []), ...page.items]), setCursor(page.nextCursor)), setError)}>
          Show older orders
        </button>
      )}
    </main>
  )
}
