import { useEffect, useState } from 'preact/hooks'
import type { CurrencyUse, LedgerEntry, TopUp, Wallet } from '../../shared/api.ts'
import { api } from '../api.ts'
import { formatMoney, parseAmount } from '../money.ts'
import { Empty, ErrorBox, Money, SkeletonRows, when } from '../ui.tsx'
import { StripeCardForm } from './stripe-form.tsx'

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
          <TopUpForm wallet={wallet} onDone={load} initial={amount} next={next} />
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

/** How long the wallet waits for Stripe's word before saying it is late (the server's recheck settles it later). */
const CONFIRM_PATIENCE_MS = 90_000

/** Where the top-up stands once sent: Stripe's form to pay in, or waiting for Stripe's word. */
type Paying = { topUp: TopUp; phase: 'card' | 'confirming' }

function TopUpForm({ wallet, onDone, initial, next }: { wallet: Wallet; onDone: () => void; initial?: string; next?: string }) {
  const { currency, maxDeposit: max } = wallet
  const demo = wallet.topUpProvider === 'demo'
  const [text, setText] = useState(initial ?? '')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState<string | null>(null)
  const [paying, setPaying] = useState<Paying | null>(null)
  const read = text ? parseAmount(text, currency) : null
  // The largest top-up is known before sending: the form says so instead of a refusal afterwards.
  const parsed = read?.ok && read.minor > max ? { ok: false as const, error: `At most ${formatMoney(max, currency)} per top-up` } : read

  const settled = (topUp: TopUp) => {
    setPaying(null)
    if (topUp.status === 'succeeded') {
      setDone(`Added ${formatMoney(topUp.amount, topUp.currency)}${topUp.demo ? ' of demo money' : ''}`)
      setText('')
    } else setError(new Error(topUp.status === 'failed' ? `The payment failed: ${topUp.failureReason ?? 'the card was declined'}` : 'The top-up was cancelled; nothing was charged'))
    onDone()
  }

  // Waiting for Stripe's webhook: the live stream says when it lands; a slow poll covers a stream
  // that is down. Stripe has accepted the payment, so only success or a cancel ends the wait: a
  // `failed` still on record is an earlier card's decline, before this one went through.
  const [slow, setSlow] = useState(false)
  const [checkError, setCheckError] = useState<unknown>(null)
  useEffect(() => {
    if (paying?.phase !== 'confirming') return
    const id = paying.topUp.id
    const started = Date.now()
    let stopped = false
    setSlow(false)
    setCheckError(null)
    const check = () =>
      api.topUpStatus(id).then(
        (t) => {
          if (stopped) return
          setCheckError(null)
          if (t.status === 'succeeded' || t.status === 'canceled') settled(t)
          else if (Date.now() - started > CONFIRM_PATIENCE_MS) setSlow(true)
        },
        (e) => !stopped && setCheckError(e),
      )
    const stop = api.onWalletEvent((event) => event.topUpId === id && void check())
    const timer = setInterval(check, 3000)
    void check()
    return () => {
      stopped = true
      stop()
      clearInterval(timer)
    }
  }, [paying?.topUp.id, paying?.phase])

  if (paying?.phase === 'card')
    return wallet.stripePublishableKey && paying.topUp.clientSecret ? (
      <StripeCardForm
        publishableKey={wallet.stripePublishableKey}
        clientSecret={paying.topUp.clientSecret}
        amount={paying.topUp.amount}
        currency={paying.topUp.currency}
        onPaid={() => setPaying({ ...paying, phase: 'confirming' })}
        onCancel={() => setPaying(null)}
      />
    ) : (
      <ErrorBox error={new Error('The shop is set up for card payments but did not give the card form its key; ask the shop to check its Stripe settings.')} onRetry={() => setPaying(null)} />
    )
  if (paying?.phase === 'confirming')
    return (
      <section class="card topup" aria-busy={!slow}>
        {slow ? (
          <>
            <p role="status" data-testid="topup-slow">
              Stripe has taken the payment of {formatMoney(paying.topUp.amount, paying.topUp.currency)} but has not confirmed it to the shop yet. Nothing is lost: the shop asks Stripe again
              every few minutes and your balance updates by itself when it does. You can leave this page.
            </p>
            <button type="button" class="secondary" onClick={() => (setPaying(null), onDone())}>
              Back to the wallet
            </button>
          </>
        ) : (
          <p role="status">
            Payment sent. Waiting for Stripe to confirm {formatMoney(paying.topUp.amount, paying.topUp.currency)}… your balance updates by itself.
          </p>
        )}
        {checkError ? <ErrorBox error={checkError} /> : null}
      </section>
    )

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
          const topUp = await api.topUp(parsed.minor)
          if (topUp.status === 'pending' || (topUp.status === 'failed' && topUp.clientSecret)) setPaying({ topUp, phase: 'card' })
          else settled(topUp)
        } catch (err) {
          setError(err)
        } finally {
          setBusy(false)
        }
      }}
    >
      {demo && (
        <p class="demo-note" data-testid="demo-note">
          <span class="badge badge-demo">Demo money</span> This shop runs without a payment provider: a top-up adds play money at once and charges no card.
        </p>
      )}
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
        {busy ? (demo ? 'Adding…' : 'Preparing the card form…') : demo ? 'Add demo money' : 'Continue to card payment'}
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
