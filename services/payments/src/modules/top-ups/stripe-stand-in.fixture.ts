/**
 * A stand-in for Stripe's API, for tests only: there is no card network here. It checks what the
 * official `stripe` package really sends (the secret key, the form-encoded amount, currency and
 * metadata, the Idempotency-Key) and answers as Stripe documents, replaying an Idempotency-Key's
 * first answer. Tests move its PaymentIntents (`succeed`, `fail`) and make the webhook events
 * Stripe would send, signed the way Stripe signs them (`generateTestHeaderStringAsync`).
 */
import Stripe from 'stripe'

export interface SeenCreate {
  amount: number
  currency: string
  idempotencyKey: string | null
  metadata: Record<string, string>
  automaticPaymentMethods: string | null
  allowRedirects: string | null
}

interface Intent {
  id: string
  object: 'payment_intent'
  amount: number
  amount_received: number
  currency: string
  status: string
  client_secret: string
  metadata: Record<string, string>
  last_payment_error: { code: string; message: string } | null
  cancellation_reason: string | null
  livemode: false
  created: number
}

export const STAND_IN_SECRET_KEY = 'sk_test_standin0000000000'
export const STAND_IN_PUBLISHABLE_KEY = 'pk_test_standin0000000000'
export const STAND_IN_WEBHOOK_SECRET = 'whsec_standin0000000000'

const error = (status: number, type: string, message: string, code?: string) => Response.json({ error: { type, message, code } }, { status })

export function startStripeStandIn() {
  const intents = new Map<string, Intent>()
  const byKey = new Map<string, { body: string; intent: Intent }>()
  const creates: SeenCreate[] = []
  const calls: string[] = []
  let failures = 0
  const signer = new Stripe(STAND_IN_SECRET_KEY)

  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const url = new URL(request.url)
      calls.push(`${request.method} ${url.pathname}`)
      if (request.headers.get('authorization') !== `Bearer ${STAND_IN_SECRET_KEY}`)
        return error(401, 'invalid_request_error', 'Invalid API Key provided')
      if (failures > 0) {
        failures--
        return error(500, 'api_error', 'Something went wrong on Stripe\'s end (stand-in failure)')
      }
      const body = await request.text()
      const form = new URLSearchParams(body)
      if (request.method === 'POST' && url.pathname === '/v1/payment_intents') {
        const key = request.headers.get('idempotency-key')
        const metadata: Record<string, string> = {}
        for (const [name, value] of form) {
          const m = /^metadata\[(\w+)\]$/.exec(name)
          if (m) metadata[m[1]!] = value
        }
        creates.push({ amount: Number(form.get('amount')), currency: form.get('currency') ?? '', idempotencyKey: key, metadata, automaticPaymentMethods: form.get('automatic_payment_methods[enabled]'), allowRedirects: form.get('automatic_payment_methods[allow_redirects]') })
        if (key && byKey.has(key)) {
          const first = byKey.get(key)!
          if (first.body !== body) return error(400, 'idempotency_error', 'Keys for idempotent requests can only be used with the same parameters they were first used with.')
          return Response.json(first.intent, { headers: { 'idempotent-replayed': 'true' } })
        }
        const amount = Number(form.get('amount'))
        const currency = form.get('currency') ?? ''
        if (!/^\d+$/.test(form.get('amount') ?? '')) return error(400, 'invalid_request_error', 'Invalid integer: amount', 'parameter_invalid_integer')
        if (!/^[a-z]{3}$/.test(currency)) return error(400, 'invalid_request_error', 'Invalid currency', 'parameter_invalid')
        if (amount < 50) return error(400, 'invalid_request_error', 'Amount must be at least 0.50', 'amount_too_small')
        const id = `pi_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`
        const intent: Intent = {
          id,
          object: 'payment_intent',
          amount,
          amount_received: 0,
          currency,
          status: 'requires_payment_method',
          client_secret: `${id}_secret_${crypto.randomUUID().replaceAll('-', '').slice(0, 20)}`,
          metadata,
          last_payment_error: null,
          cancellation_reason: null,
          livemode: false,
          created: Math.floor(Date.now() / 1000),
        }
        intents.set(id, intent)
        if (key) byKey.set(key, { body, intent })
        return Response.json(intent)
      }
      const match = /^\/v1\/payment_intents\/(pi_\w+)(\/cancel)?$/.exec(url.pathname)
      const intent = match && intents.get(match[1]!)
      if (!intent) return error(404, 'invalid_request_error', `No such payment_intent: '${match?.[1] ?? url.pathname}'`, 'resource_missing')
      if (request.method === 'GET' && !match[2]) return Response.json(intent)
      if (request.method === 'POST' && match[2]) {
        if (intent.status === 'succeeded' || intent.status === 'canceled')
          return error(400, 'invalid_request_error', `You cannot cancel this PaymentIntent because it has a status of ${intent.status}.`, 'payment_intent_unexpected_state')
        intent.status = 'canceled'
        intent.cancellation_reason = form.get('cancellation_reason')
        return Response.json(intent)
      }
      return error(404, 'invalid_request_error', `Unrecognized request URL (${request.method}: ${url.pathname})`)
    },
  })

  const intentOf = (id: string) => {
    const intent = intents.get(id)
    if (!intent) throw new Error(`the stand-in has no intent ${id}`)
    return intent
  }

  return {
    url: `http://127.0.0.1:${server.port}`,
    creates,
    calls,
    intents,
    /** The next `n` requests answer 500 (the package retries them with the same key). */
    failNext(n: number) {
      failures = n
    },
    /** The customer paid: the intent succeeded for `amountReceived` (its amount unless told). */
    succeed(id: string, amountReceived?: number) {
      const intent = intentOf(id)
      Object.assign(intent, { status: 'succeeded', amount_received: amountReceived ?? intent.amount, last_payment_error: null })
      return structuredClone(intent)
    },
    /** The card was declined: the intent waits for another payment method. */
    fail(id: string, message = 'Your card was declined.') {
      Object.assign(intentOf(id), { status: 'requires_payment_method', last_payment_error: { code: 'card_declined', message } })
      return structuredClone(intentOf(id))
    },
    /** The webhook event Stripe sends for the intent as it is now (or as given). */
    event(type: string, intent: Intent | ReturnType<typeof structuredClone<Intent>>, id = `evt_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`) {
      return JSON.stringify({ id, object: 'event', api_version: Stripe.API_VERSION, created: Math.floor(Date.now() / 1000), type, livemode: false, data: { object: intent } })
    },
    /** The Stripe-Signature header for `payload`, as Stripe computes it. */
    sign(payload: string, options: { timestamp?: number; secret?: string } = {}) {
      return signer.webhooks.generateTestHeaderStringAsync({ payload, secret: options.secret ?? STAND_IN_WEBHOOK_SECRET, timestamp: options.timestamp })
    },
    stop: () => server.stop(true),
  }
}

export type StripeStandIn = ReturnType<typeof startStripeStandIn>
