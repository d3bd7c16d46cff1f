/**
 * Where money comes in from. `demo` settles a top-up at once (no money moves anywhere: the API
 * and the app say so); `stripe` makes a PaymentIntent that the customer pays in Stripe's own card
 * form, and reports back through signed webhooks. The service never sees a card.
 */
import Stripe from 'stripe'
import type { ProviderReport } from './rules.ts'

export type ProviderName = 'demo' | 'stripe'

/** What a started top-up needs from the provider: its object and the app's key to it. */
export interface Started {
  ref: string
  clientSecret: string | null
  report: ProviderReport
}

/** A verified notification: its id (the inbox key), its type, and the top-up it reports on, if any. */
export interface Notification {
  eventId: string
  type: string
  /** Present for the events that move a top-up (Stripe: payment_intent.succeeded / payment_failed / canceled). */
  report?: ProviderReport
  /** The top-up id the provider object carries in its metadata (we set it when starting). */
  topUpId?: string
}

export interface PaymentProvider {
  readonly name: ProviderName
  /** The key the app loads the card form with (Stripe's publishable key); null for demo. */
  readonly publishableKey: string | null
  /**
   * Starts the provider's side of a top-up. Idempotent by `topUp.id`: called again (a retry, the
   * recheck) it returns the same object, never a second one.
   */
  start(topUp: { id: string; userId: string; amountMinor: number; currency: string }): Promise<Started>
  /** Asks the provider what became of `ref`. */
  lookup(ref: string): Promise<ProviderReport>
  /** Cancels `ref` so it can no longer be paid; answers with what the provider then says. */
  cancel(ref: string): Promise<ProviderReport>
  /** Verifies a webhook over its raw body; throws `InvalidSignatureError` when it does not verify. */
  verify(rawBody: string, headers: Headers): Promise<Notification>
}

/** The provider refused the request itself (an amount below its minimum, a currency it lacks): retrying cannot help. */
export class ProviderRefusedError extends Error {}
/** The provider could not be reached or failed: the same request may succeed later. */
export class ProviderUnavailableError extends Error {}
/** A webhook whose signature or timestamp does not verify. */
export class InvalidSignatureError extends Error {}

export const demoProvider: PaymentProvider = {
  name: 'demo',
  publishableKey: null,
  async start(topUp) {
    const ref = `demo_${topUp.id}`
    return { ref, clientSecret: null, report: { ref, status: 'succeeded', amountReceivedMinor: topUp.amountMinor, currency: topUp.currency, reason: null } }
  },
  async lookup() {
    throw new ProviderRefusedError('demo top-ups settle at once; there is nothing to ask')
  },
  async cancel() {
    throw new ProviderRefusedError('demo top-ups settle at once; there is nothing to cancel')
  },
  async verify() {
    throw new InvalidSignatureError('the demo provider sends no webhooks')
  },
}

/** The events that move a top-up; every other type is recorded and otherwise ignored. */
const INTENT_EVENTS = new Set(['payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_intent.canceled', 'payment_intent.processing'])

/** A PaymentIntent in the terms of `rules.ts`. */
export function reportOf(intent: Stripe.PaymentIntent): ProviderReport {
  const base = { ref: intent.id, currency: intent.currency.toUpperCase(), amountReceivedMinor: intent.amount_received ?? 0 }
  switch (intent.status) {
    case 'succeeded':
      return { ...base, status: 'succeeded', reason: null }
    case 'canceled':
      return { ...base, status: 'canceled', reason: intent.cancellation_reason ?? null }
    case 'requires_payment_method':
      // After a declined card the intent waits for another one; before any attempt it has no error.
      return intent.last_payment_error
        ? { ...base, status: 'failed', reason: (intent.last_payment_error.message ?? intent.last_payment_error.code ?? 'the payment failed').slice(0, 500) }
        : { ...base, status: 'pending', reason: null }
    default:
      return { ...base, status: 'pending', reason: null }
  }
}

export interface StripeOptions {
  secretKey: string
  webhookSecret: string
  publishableKey: string
  /** https://api.stripe.com, or a test's stand-in server. */
  apiUrl: string
}

export function stripeProvider(options: StripeOptions): PaymentProvider {
  const api = new URL(options.apiUrl)
  const stripe = new Stripe(options.secretKey, {
    // Bun: the fetch client (the package's Node http client is not what Bun runs best).
    httpClient: Stripe.createFetchHttpClient(),
    host: api.hostname,
    port: api.port ? Number(api.port) : api.protocol === 'https:' ? 443 : 80,
    protocol: api.protocol === 'http:' ? 'http' : 'https',
    // Retries reuse the request's idempotency key, so Stripe makes one intent however many are sent.
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: 'shop-payments' },
  })

  /** Stripe's errors in our terms: its refusal of the request is final, anything else may pass later. */
  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run()
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError || error instanceof Stripe.errors.StripeCardError)
        throw new ProviderRefusedError(error.message)
      throw new ProviderUnavailableError(`Stripe ${what} failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  const lookup = async (ref: string) => reportOf(await call('retrieve PaymentIntent', () => stripe.paymentIntents.retrieve(ref)))

  return {
    name: 'stripe',
    publishableKey: options.publishableKey,
    async start(topUp) {
      const intent = await call('create PaymentIntent', () =>
        stripe.paymentIntents.create(
          {
            // Stripe's amounts are in the currency's smallest unit, as ours are (JPY: yen).
            amount: topUp.amountMinor,
            currency: topUp.currency.toLowerCase(),
            // The methods the shop's Dashboard enables, but only those settled inside the page (cards,
            // with a bank's 3-D Secure check in Stripe's frame): the app has no page to come back to.
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
            description: 'Wallet top-up',
            metadata: { topUpId: topUp.id, userId: topUp.userId },
          },
          // Derived from the top-up, which our Idempotency-Key names: a retry never makes a second intent.
          { idempotencyKey: `shop-top-up-${topUp.id}` },
        ),
      )
      return { ref: intent.id, clientSecret: intent.client_secret, report: reportOf(intent) }
    },
    lookup,
    async cancel(ref) {
      try {
        return reportOf(await call('cancel PaymentIntent', () => stripe.paymentIntents.cancel(ref, { cancellation_reason: 'abandoned' })))
      } catch (error) {
        // Already paid, processing or cancelled: it cannot be cancelled; what it is now decides.
        if (error instanceof ProviderRefusedError) return lookup(ref)
        throw error
      }
    },
    async verify(rawBody, headers) {
      const signature = headers.get('stripe-signature')
      if (!signature) throw new InvalidSignatureError('Stripe-Signature header missing')
      let event: Stripe.Event
      try {
        // The async form: it uses Web Crypto, which Bun has (the sync form needs Node's crypto HMAC).
        event = await stripe.webhooks.constructEventAsync(rawBody, signature, options.webhookSecret)
      } catch (error) {
        throw new InvalidSignatureError(error instanceof Error ? error.message : 'the signature does not verify')
      }
      if (!INTENT_EVENTS.has(event.type)) return { eventId: event.id, type: event.type }
      const intent = event.data.object as Stripe.PaymentIntent
      const topUpId = intent.metadata?.topUpId
      return { eventId: event.id, type: event.type, report: reportOf(intent), topUpId: typeof topUpId === 'string' ? topUpId : undefined }
    },
  }
}

interface ProviderConfig {
  PAYMENT_PROVIDER: ProviderName
  STRIPE_SECRET_KEY?: string
  STRIPE_WEBHOOK_SECRET?: string
  STRIPE_PUBLISHABLE_KEY?: string
  STRIPE_API_URL: string
}

/**
 * The provider new top-ups go to (PAYMENT_PROVIDER), and every provider the configuration has keys
 * for: a shop that moved from Stripe back to demo still settles the Stripe top-ups it made (their
 * webhooks and the recheck) while its Stripe keys stay set. readConfig has checked the keys.
 */
export function providersFromConfig(config: ProviderConfig): { provider: PaymentProvider; providers: PaymentProvider[] } {
  const all: PaymentProvider[] = [demoProvider]
  if (config.STRIPE_SECRET_KEY && config.STRIPE_WEBHOOK_SECRET && config.STRIPE_PUBLISHABLE_KEY)
    all.push(
      stripeProvider({
        secretKey: config.STRIPE_SECRET_KEY,
        webhookSecret: config.STRIPE_WEBHOOK_SECRET,
        publishableKey: config.STRIPE_PUBLISHABLE_KEY,
        apiUrl: config.STRIPE_API_URL,
      }),
    )
  return { provider: all.find((p) => p.name === config.PAYMENT_PROVIDER)!, providers: all }
}
