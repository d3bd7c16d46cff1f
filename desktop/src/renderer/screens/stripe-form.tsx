/**
 * Stripe's own card form (the Payment Element), for a top-up Stripe is to take. Stripe.js is
 * loaded from js.stripe.com when this form first shows (Stripe requires it be loaded from there;
 * the app's CSP allows exactly Stripe's origins), so the card never touches the shop. When
 * Stripe.js cannot load (offline, blocked), the form says so and offers to try again instead of
 * showing a blank box.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import type { Stripe, StripeElements, StripePaymentElement } from '@stripe/stripe-js'
import { formatMoney } from '../money.ts'

type Loaded = { stripe: Stripe; elements: StripeElements }

/** One Stripe.js per publishable key for the page's life (loadStripe itself injects the script once). */
const loading = new Map<string, Promise<Stripe | null>>()
function stripeFor(publishableKey: string): Promise<Stripe | null> {
  let promise = loading.get(publishableKey)
  if (!promise) {
    promise = import('@stripe/stripe-js/pure').then(({ loadStripe }) => loadStripe(publishableKey))
    // A failed load may succeed later (the connection came back): do not keep the failure.
    promise.catch(() => loading.delete(publishableKey))
    loading.set(publishableKey, promise)
  }
  return promise
}

export function StripeCardForm({
  publishableKey,
  clientSecret,
  amount,
  currency,
  onPaid,
  onCancel,
}: {
  publishableKey: string
  clientSecret: string
  amount: number
  currency: string
  /** Stripe accepted the payment (it may still be processing): the wallet follows when the webhook lands. */
  onPaid: () => void
  onCancel: () => void
}) {
  const mount = useRef<HTMLDivElement>(null)
  const [state, setState] = useState<'loading' | 'ready' | 'unavailable'>('loading')
  const [loaded, setLoaded] = useState<Loaded | null>(null)
  const [attempt, setAttempt] = useState(0)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    let gone = false
    let element: StripePaymentElement | undefined
    setState('loading')
    setLoaded(null)
    stripeFor(publishableKey)
      .then((stripe) => {
        if (gone) return
        if (!stripe || !mount.current) return setState('unavailable')
        const elements = stripe.elements({ clientSecret, appearance: { theme: 'stripe' } })
        element = elements.create('payment', { layout: 'tabs' })
        element.on('ready', () => !gone && setState('ready'))
        element.on('loaderror', () => !gone && setState('unavailable'))
        element.mount(mount.current)
        setLoaded({ stripe, elements })
      })
      .catch(() => !gone && setState('unavailable'))
    return () => {
      gone = true
      // Its iframe and listeners go with the form (a retry or Cancel), not with the page.
      element?.destroy()
    }
  }, [publishableKey, clientSecret, attempt])

  return (
    <form
      class="card stripe-form"
      aria-busy={state === 'loading'}
      onSubmit={async (e) => {
        e.preventDefault()
        if (!loaded || state !== 'ready') return
        setBusy(true)
        setError(null)
        let failed: string | null = null
        try {
          // Cards settle here, a bank's 3-D Secure check in Stripe's frame; nothing leaves the page.
          const result = await loaded.stripe.confirmPayment({ elements: loaded.elements, redirect: 'if_required' })
          if (result.error) failed = result.error.message ?? 'The payment did not go through.'
        } catch {
          failed = 'Stripe could not be reached to take the payment. Nothing is charged until Stripe confirms it: check the connection, then pay again.'
        } finally {
          setBusy(false)
        }
        if (failed) return setError(failed)
        onPaid()
      }}
    >
      <h2>Pay {formatMoney(amount, currency)} by card</h2>
      {state === 'unavailable' ? (
        <div class="stripe-unavailable" role="alert">
          <p>
            <strong>The card form could not load.</strong> It comes from Stripe (js.stripe.com), which this device cannot reach right now. Nothing has been charged.
          </p>
          <p class="muted">Check the internet connection, then try again.</p>
          <button type="button" onClick={() => setAttempt((n) => n + 1)}>
            Try again
          </button>{' '}
          <button type="button" class="secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      ) : (
        <>
          {state === 'loading' && (
            <p class="muted" role="status">
              Loading Stripe's secure card form…
            </p>
          )}
          <div ref={mount} class="stripe-element" />
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" disabled={busy || state !== 'ready'}>
            {busy ? 'Paying…' : `Pay ${formatMoney(amount, currency)}`}
          </button>{' '}
          <button type="button" class="secondary" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <p class="hint muted">Card details go straight to Stripe; the shop never sees them.</p>
        </>
      )}
    </form>
  )
}
