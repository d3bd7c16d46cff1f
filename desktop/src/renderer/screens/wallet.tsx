import { useEffect, useState } from 'preact/hooks'
import type { LedgerEntry, Wallet } from '../../shared/api.ts'
import { api } from '../api.ts'
import { formatMoney, parseAmount } from '../money.ts'
import { Empty, ErrorBox, Loading, Money } from '../ui.tsx'

const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'JPY', 'SEK', 'PLN']

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

  if (wallet === undefined) return <Loading />
  return (
    <main>
      <h1 tabIndex={-1}>Wallet</h1>
      <ErrorBox error={error} />
      {wallet === null ? (
        <CreateWallet onCreated={load} />
      ) : (
        <>
          <section class="balance">
            <div>
              Balance <strong data-testid="balance">{formatMoney(wallet.balance, wallet.currency)}</strong>
            </div>
            <div class="muted">Available {formatMoney(wallet.available, wallet.currency)}</div>
          </section>
          <TopUp currency={wallet.currency} onDone={load} initial={amount} next={next} />
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
                    <td>{new Date(e.createdAt).toLocaleString()}</td>
                    <td>{e.kind === 'deposit' ? 'Top-up' : e.kind === 'payment' ? 'Payment' : 'Refund'}</td>
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
  const [currency, setCurrency] = useState('EUR')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
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
      <p>You have no wallet yet. Its currency cannot be changed later.</p>
      <label>
        Currency
        <select name="currency" value={currency} onChange={(e) => setCurrency(e.currentTarget.value)}>
          {CURRENCIES.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
      </label>
      <ErrorBox error={error} />
      <button type="submit" disabled={busy}>
        Open wallet
      </button>
    </form>
  )
}

function TopUp({ currency, onDone, initial, next }: { currency: string; onDone: () => void; initial?: string; next?: string }) {
  const [text, setText] = useState(initial ?? '')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState<string | null>(null)
  const parsed = text ? parseAmount(text, currency) : null

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
        <input name="amount" inputMode="decimal" placeholder="25.00" value={text} onInput={(e) => (setText(e.currentTarget.value), setDone(null))} />
      </label>
      {parsed && !parsed.ok && <p class="hint error">{parsed.error}</p>}
      {parsed?.ok && <p class="hint">You will add {formatMoney(parsed.minor, currency)}</p>}
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
