import { useEffect, useState } from 'preact/hooks'
import type { CurrencyUse, LedgerEntry, Wallet } from '../../shared/api.ts'
import { api } from '../api.ts'
import { formatMoney, parseAmount } from '../money.ts'
import { Empty, ErrorBox, Money, SkeletonRows, when } from '../ui.tsx'

/** Offered only while the shop has no products to say which currencies it sells in. */
const FALLBACK_CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'JPY', 'SEK', 'PLN']

/** `next`: where to go back after a top-up (the cart's checkout); `amount`: what it asked for. */
export function WalletScreen({ refreshKey, next, amount }: { refreshKey: number; next?: string; amount?: string }) {
  const [wallet, setWallet] = useState<Wallet | null | undefined>(undefined)
  const [entries, setEntries] = useState<LedgerEntry[]>([])
  const [cursor, setCursor] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)

  async function load() {
    setError(null)
    try {
      const w = await api.wallet()
      // Balance and history are shown together, so they never disagree on screen.
      const page = w ? await api.transactions() : { items: [], nextCursor: null }
      setWallet(w)
      setEntries(page.items)
      setCursor(page.nextCursor)
    } catch (e) {
      setError(e)
      setWallet((w) => (w === undefined ? null : w))
    }
  }

  useEffect(() => {
    void load()
  }, [refreshKey])

  if (wallet === undefined)
    return (
      <main aria-busy="true">
        <h1 tabIndex={-1}>Wallet</h1>
        <SkeletonRows count={1} height="4rem" label="Loading your wallet…" />
        <SkeletonRows count={1} height="9rem" />
        <SkeletonRows count={3} height="2.5rem" />
      </main>
    )
  return (
    <main>
      <h1 tabIndex={-1}>Wallet</h1>
      <ErrorBox error={error} onRetry={load} />
      {wallet === null ? (
        error ? null : (
        <CreateWallet onCreated={load} />
        )
      ) : (
        <>
          <section class="balance">
            <div>
              Balance <strong data-testid="balance">{formatMoney(wallet.balance, wallet.currency)}</strong>
            </div>
            <div class="muted">Available {formatMoney(wallet.available, wallet.currency)}</div>
          </section>
          <TopUp currency={wallet.currency} max={wallet.maxDeposit} onDone={load} initial={amount} next={next} />
          <h2>History</h2>
          {entries.length === 0 ? (
            <Empty>No movements yet. Top up to start shopping.</Empty>
          ) : (
            <table class="ledger">
              <thead>
                <tr>
                  <th>When</th>
                  <th>What</th>
                  <th class="num">Amount</th>
                  <th class="num">Balance</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.id} data-kind={e.kind}>
                    <td class="when">{when(e.createdAt)}</td>
                    <td>
                      {e.orderId ? (
                        <a href={`#/orders/${e.orderId}`}>{e.kind === 'payment' ? 'Payment for an order' : 'Refund of an order'}</a>
                      ) : e.kind === 'deposit' ? (
                        'Top-up'
                      ) : e.kind === 'payment' ? (
                        'Payment'
                      ) : (
                        'Refund'
                      )}
                    </td>
                    <td class={`num ${e.amount < 0 ? 'debit' : 'credit'}`}>
                      <Money minor={e.amount} currency={e.currency} />
                    </td>
                    <td class="num">
                      <Money minor={e.balanceAfter} currency={e.currency} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {cursor && (
            <button
              class="secondary"
              onClick={async () => {
                try {
                  const page = await api.transactions(cursor)
                  setEntries((list) => [...list, ...page.items])
                  setCursor(page.nextCursor)
                } catch (e) {
                  setError(e)
                }
              }}
            >
              Show older
            </button>
          )}
        </>
      )}
    </main>
  )
}

function CreateWallet({ onCreated }: { onCreated: () => void }) {
  const [offered, setOffered] = useState<CurrencyUse[] | null | undefined>(undefined)
  const [currency, setCurrency] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const load = () => {
    setError(null)
    api.currencies().then(
      (list) => (setOffered(list), setCurrency(list[0]?.code ?? 'EUR')),
      (e) => (setError(e), setOffered(null)),
    )
  }
  useEffect(load, [])
  if (offered === undefined) return <SkeletonRows count={1} height="12rem" label="Loading the shop's currencies…" />
  if (offered === null) return <ErrorBox error={error} onRetry={load} />
  const codes = offered.length > 0 ? offered.map((c) => c.code) : FALLBACK_CURRENCIES
  return (
    <form
      class="card"
      onSubmit={async (e) => {
        e.preventDefault()
        setBusy(true)
        setError(null)
        try {
          await api.createWallet(currency)
          onCreated()
        } catch (err) {
          setError(err)
        } finally {
          setBusy(false)
        }
      }}
    >
      {codes.length === 1 ? (
        <p>
          You have no wallet yet. It will hold <strong data-testid="wallet-currency">{codes[0]}</strong>, the currency the shop's prices are in; this cannot be changed later.
        </p>
      ) : (
        <>
        <p>You have no wallet yet. Choose its currency: this cannot be changed later{offered.length > 0 ? ', so pick the one the products you want are priced in' : ''}.</p>
        <label>
          Currency
          <select name="currency" value={currency} onChange={(e) => setCurrency(e.currentTarget.value)}>
            {codes.map((c) => {
              const use = offered.find((o) => o.code === c)
              return (
                <option key={c} value={c}>
                  {use ? `${c} (${use.productCount} ${use.productCount === 1 ? 'product' : 'products'})` : c}
                </option>
              )
            })}
          </select>
        </label>
        </>
      )}
      <ErrorBox error={error} />
      <button type="submit" disabled={busy}>
        Open wallet
      </button>
    </form>
  )
}

function TopUp({ currency, max, onDone, initial, next }: { currency: string; max: number; onDone: () => void; initial?: string; next?: string }) {
  const [text, setText] = useState(initial ?? '')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState<string | null>(null)
  const read = text ? parseAmount(text, currency) : null
  // The largest top-up is known before sending: the form says so instead of a refusal afterwards.
  const parsed = read?.ok && read.minor > max ? { ok: false as const, error: `At most ${formatMoney(max, currency)} per top-up` } : read

  return (
    <form
      class="card topup"
      onSubmit={async (e) => {
        e.preventDefault()
        if (!parsed?.ok) return
        setBusy(true)
        setError(null)
        setDone(null)
        try {
          const entry = await api.deposit(parsed.minor)
          setDone(`Added ${formatMoney(entry.amount, entry.currency)}`)
          setText('')
          onDone()
        } catch (err) {
          setError(err)
        } finally {
          setBusy(false)
        }
      }}
    >
      <label>
        Top up ({currency})
        <input
          name="amount"
          inputMode="decimal"
          placeholder="25.00"
          aria-describedby="topup-hint"
          aria-invalid={parsed ? !parsed.ok : undefined}
          value={text}
          onInput={(e) => (setText(e.currentTarget.value), setDone(null))}
        />
      </label>
      <p id="topup-hint" class={`hint ${parsed && !parsed.ok ? 'error' : ''}`}>
        {parsed && !parsed.ok ? parsed.error : parsed?.ok ? `You will add ${formatMoney(parsed.minor, currency)}` : `Up to ${formatMoney(max, currency)} at a time`}
      </p>
      <ErrorBox error={error} />
      <button type="submit" disabled={busy || !parsed?.ok}>
        {busy ? 'Adding…' : 'Top up'}
      </button>
      {done && (
        <p class="success" role="status">
          {done}
          {next && (
            <>
              {' '}
              <a href={`#${next}`}>Back to checkout</a>
            </>
          )}
        </p>
      )}
    </form>
  )
}
