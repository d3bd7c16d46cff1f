/**
 * The owner's stock: levels (on hand, reserved for unpaid orders, available) with a supply
 * received for many products at once (a quantity per row, one reference), the low-stock view,
 * and a product's page with an adjustment and its reason and every movement of its stock.
 * Supplies and adjustments keep their Idempotency-Key until the shop answers: a double click or
 * a lost answer never counts the goods twice.
 */
import { useEffect, useState } from 'preact/hooks'
import type { Movement, Product } from '../../shared/api.ts'
import { api } from '../api.ts'
import { Empty, ErrorBox, PageLoading, SkeletonRows, problemOf, when } from '../ui.tsx'
import { ShowMore, usePaged } from './paging.tsx'
import { LOW_STOCK } from './dashboard.tsx'

const go = (path: string) => (location.hash = path)

export function InventoryList({ q, low }: { q: string; low: boolean }) {
  const [search, setSearch] = useState(q)
  const [quantities, setQuantities] = useState<Record<string, string>>({})
  const [reference, setReference] = useState('')
  const [supplier, setSupplier] = useState('')
  const [tried, setTried] = useState(false)
  const [busy, setBusy] = useState(false)
  const [supplyError, setSupplyError] = useState<unknown>(null)
  const [received, setReceived] = useState<string | null>(null)
  const list = usePaged(async (cursor) => {
    if (!low) return api.adminProducts({ q: q || undefined, status: 'all', sort: q ? undefined : 'name', cursor })
    // The low-stock view: active products with at most LOW_STOCK available, fewest first.
    const page = await api.lowStock(LOW_STOCK)
    return { items: await Promise.all(page.items.map((item) => api.adminProduct(item.id))), nextCursor: null }
  }, [q, low])
  const products = list.items


  // Only what is typed beside a product on screen is received.
  const rows = (products ?? []).map((p) => [p.id, quantities[p.id] ?? ''] as const).filter(([, v]) => v.trim() !== '')
  const badRows = rows.filter(([, v]) => !/^\d{1,7}$/.test(v.trim()) || Number(v) < 1 || Number(v) > 1_000_000)
  const referenceProblem = !reference.trim() ? 'Give the delivery a reference (the delivery note or order number).' : [...reference.trim()].length > 100 ? 'At most 100 characters.' : null

  const receive = async (e: Event) => {
    e.preventDefault()
    setTried(true)
    setReceived(null)
    if (referenceProblem || rows.length === 0 || badRows.length > 0) return
    setBusy(true)
    setSupplyError(null)
    try {
      const supply = await api.supply({
        reference: reference.trim(),
        ...(supplier.trim() ? { supplier: supplier.trim() } : {}),
        items: rows.map(([productId, v]) => ({ productId, quantity: Number(v.trim()) })),
      })
      const units = supply.items.reduce((n, i) => n + i.quantity, 0)
      setReceived(`Received ${units} ${units === 1 ? 'unit' : 'units'} of ${supply.items.length} ${supply.items.length === 1 ? 'product' : 'products'} (${supply.reference}).`)
      setQuantities({})
      setReference('')
      setSupplier('')
      setTried(false)
      list.reload()
    } catch (error) {
      setSupplyError(error)
    } finally {
      setBusy(false)
    }
  }

  const address = (nextQ: string, nextLow: boolean) => {
    const params = new URLSearchParams()
    if (nextQ) params.set('q', nextQ)
    if (nextLow) params.set('low', '1')
    return `/admin/inventory${params.size ? `?${params}` : ''}`
  }

  return (
    <main>
      <h1 tabIndex={-1}>Inventory</h1>
      <form
        class="console-filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault()
          go(address(search.trim(), false))
        }}
      >
        <label>
          Search
          <input name="q" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} placeholder="Name or words" />
        </label>
        <button type="submit">Find</button>
        <label class="check">
          <input type="checkbox" name="low" checked={low} onChange={(e) => go(address('', e.currentTarget.checked))} /> Only low stock ({LOW_STOCK} or fewer available)
        </label>
      </form>
      <ErrorBox error={list.error} onRetry={list.reload} />
      <form class="supply" noValidate onSubmit={receive}>
        {products === null ? (
          !list.error && <SkeletonRows count={5} height="3rem" label="Loading stock…" />
        ) : products.length === 0 ? (
          <Empty>{low ? `Every product has more than ${LOW_STOCK} available.` : q ? `No product matches “${q}”.` : 'No products yet.'}</Empty>
        ) : (
          <table class="stock-table">
            <caption class="visually-hidden">Stock levels; type a quantity to receive it in a supply</caption>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col" class="num">
                  On hand
                </th>
                <th scope="col" class="num">
                  Reserved
                </th>
                <th scope="col" class="num">
                  Available
                </th>
                <th scope="col" class="num">
                  Receive
                </th>
              </tr>
            </thead>
            <tbody>
              {products.map((p) => {
                const value = quantities[p.id] ?? ''
                const wrong = tried && value.trim() !== '' && badRows.some(([id]) => id === p.id)
                return (
                  <tr key={p.id} data-product={p.name} class={p.available <= LOW_STOCK ? 'low' : ''}>
                    <td>
                      <a href={`#/admin/inventory/${p.id}`}>{p.name}</a>
                      {!p.active && <span class="muted small"> (not on sale)</span>}
                    </td>
                    <td class="num">{p.stock}</td>
                    <td class="num">{p.stock - p.available}</td>
                    <td class="num">{p.available}</td>
                    <td class="num">
                      <input
                        class="qty-input"
                        name={`receive-${p.id}`}
                        inputMode="numeric"
                        value={value}
                        aria-label={`Units of ${p.name} received`}
                        aria-invalid={wrong}
                        onInput={(e) => {
                          const v = e.currentTarget.value
                          setQuantities((q) => ({ ...q, [p.id]: v }))
                        }}
                      />
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        )}
        <ShowMore list={list} label="Show more products" />
        <fieldset class="card supply-fields">
          <legend>Receive a supply</legend>
          <p class="muted small">Type the units received beside each product above (a new search starts again), then:</p>
          <div class="pair">
            <div class="field">
              <label>
                Reference
                <input name="reference" value={reference} maxLength={100} onInput={(e) => setReference(e.currentTarget.value)} aria-invalid={tried && !!referenceProblem} aria-describedby={tried && referenceProblem ? 'reference-error' : undefined} />
              </label>
              {tried && referenceProblem && (
                <p id="reference-error" class="error field-error">
                  {referenceProblem}
                </p>
              )}
            </div>
            <div class="field">
              <label>
                Supplier (optional)
                <input name="supplier" value={supplier} maxLength={100} onInput={(e) => setSupplier(e.currentTarget.value)} />
              </label>
            </div>
          </div>
          {tried && rows.length === 0 && <p class="error">Type how many units came of at least one product.</p>}
          {tried && badRows.length > 0 && <p class="error">Each quantity is a whole number from 1 to 1,000,000.</p>}
          {supplyError ? <ErrorBox error={supplyError} /> : null}
          <div class="actions">
            <button type="submit" disabled={busy}>
              Receive the supply
            </button>
            {received && (
              <span class="success" role="status">
                {received}
              </span>
            )}
          </div>
        </fieldset>
      </form>
    </main>
  )
}

const KIND_TEXT: Record<Movement['kind'], string> = {
  initial: 'Initial stock',
  supply: 'Supply',
  adjustment: 'Adjustment',
  sale: 'Sale',
  restock: 'Back in stock',
}

export function InventoryProduct({ id }: { id: string }) {
  const [product, setProduct] = useState<Product | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [delta, setDelta] = useState('')
  const [reason, setReason] = useState('')
  const [tried, setTried] = useState(false)
  const [busy, setBusy] = useState(false)
  const [adjustError, setAdjustError] = useState<unknown>(null)
  const [done, setDone] = useState<string | null>(null)
  const [attempt, setAttempt] = useState(0)
  const movements = usePaged((cursor) => api.movements(id, cursor), [id, attempt])

  useEffect(() => {
    let cancelled = false
    api.adminProduct(id).then(
      (p) => !cancelled && (setProduct(p), setError(null)),
      (e) => !cancelled && setError(e),
    )
    return () => {
      cancelled = true
    }
  }, [id, attempt])

  if (!product)
    return (
      <PageLoading error={error} title="Stock" notFoundTitle="Product not found" onRetry={() => setAttempt((n) => n + 1)} notFound={<p>No product has this address. <a href="#/admin/inventory">Back to the inventory</a></p>} />
    )

  const deltaText = delta.trim().replace(/^\+/, '')
  const deltaProblem = !/^-?\d{1,10}$/.test(deltaText) || Number(deltaText) === 0 ? 'A whole number of units, not 0: positive adds, negative removes (−3).' : null
  const reasonProblem = !reason.trim() ? 'Say why (damaged, counted, found…).' : [...reason.trim()].length > 200 ? 'At most 200 characters.' : null

  const adjust = async (e: Event) => {
    e.preventDefault()
    setTried(true)
    setDone(null)
    if (deltaProblem || reasonProblem) return
    setBusy(true)
    setAdjustError(null)
    try {
      const movement = await api.adjustStock({ productId: product.id, delta: Number(deltaText), reason: reason.trim() })
      setDone(`Stock ${movement.delta > 0 ? 'raised' : 'lowered'} by ${Math.abs(movement.delta)}.`)
      setDelta('')
      setReason('')
      setTried(false)
      setAttempt((n) => n + 1)
    } catch (error) {
      setAdjustError(error)
    } finally {
      setBusy(false)
    }
  }

  return (
    <main>
      <p>
        <a href="#/admin/inventory">← Inventory</a>
      </p>
      <h1 tabIndex={-1}>{product.name}</h1>
      <dl class="stock-figures card">
        <div>
          <dt>On hand</dt>
          <dd data-figure="stock">{product.stock}</dd>
        </div>
        <div>
          <dt>Reserved</dt>
          <dd data-figure="reserved">{product.stock - product.available}</dd>
        </div>
        <div>
          <dt>Available</dt>
          <dd data-figure="available">{product.available}</dd>
        </div>
      </dl>
      <form class="card adjust" noValidate onSubmit={adjust}>
        <h2>Adjust the stock</h2>
        <div class="pair">
          <div class="field">
            <label>
              Change (units)
              <input name="delta" inputMode="numeric" value={delta} placeholder="-2" onInput={(e) => setDelta(e.currentTarget.value)} aria-invalid={tried && !!deltaProblem} aria-describedby={tried && deltaProblem ? 'delta-error' : undefined} />
            </label>
            {tried && deltaProblem && (
              <p id="delta-error" class="error field-error">
                {deltaProblem}
              </p>
            )}
          </div>
          <div class="field">
            <label>
              Reason
              <input name="reason" value={reason} maxLength={200} onInput={(e) => setReason(e.currentTarget.value)} aria-invalid={tried && !!reasonProblem} aria-describedby={tried && reasonProblem ? 'reason-error' : undefined} />
            </label>
            {tried && reasonProblem && (
              <p id="reason-error" class="error field-error">
                {reasonProblem}
              </p>
            )}
          </div>
        </div>
        {adjustError ? <p class="error" role="alert">{problemOf(adjustError)?.code === 'insufficient_stock' ? 'That would leave less on hand than is reserved for unpaid orders.' : (problemOf(adjustError)?.detail ?? 'The adjustment failed.')}</p> : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            Adjust
          </button>
          {done && (
            <span class="success" role="status">
              {done}
            </span>
          )}
        </div>
      </form>
      <h2>Movements</h2>
      <ErrorBox error={movements.error} onRetry={movements.reload} />
      {movements.items && movements.items.length === 0 ? (
        <Empty>No movements yet.</Empty>
      ) : (
        <table class="movements">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col" class="num">
                Units
              </th>
              <th scope="col">Reference</th>
            </tr>
          </thead>
          <tbody>
            {(movements.items ?? []).map((m) => (
              <tr key={m.id} data-kind={m.kind}>
                <td>{when(m.at)}</td>
                <td>{KIND_TEXT[m.kind]}</td>
                <td class={m.delta > 0 ? 'num credit' : 'num debit'}>{m.delta > 0 ? `+${m.delta}` : `−${-m.delta}`}</td>
                <td class="reference">
                  {m.kind === 'sale' || m.kind === 'restock' ? <a href={`#/admin/orders/${m.reference}`}>The order</a> : m.reference}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ShowMore list={movements} label="Show older movements" />
    </main>
  )
}
