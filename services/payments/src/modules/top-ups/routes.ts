import { Elysia, t } from 'elysia'
import type { authPlugin } from '@shop/shared/http/auth'
import { Problem } from '@shop/shared/http/errors'
import type { idempotencyPlugin } from '@shop/shared/http/idempotency'
import { rawBodyText } from '@shop/shared/http/request-guards'
import { TopUp, WebhookReceipt, topUpBody } from './model.ts'
import type { TopUpsService } from './service.ts'

export function topUpRoutes(
  topUps: TopUpsService,
  plugins: { auth: ReturnType<typeof authPlugin>; idempotency: ReturnType<typeof idempotencyPlugin> },
  maxAmountMinor: number,
) {
  return new Elysia({ name: 'payments.top-ups', prefix: '/api/wallet/top-ups', detail: { tags: ['wallet'] } })
    .use(plugins.auth)
    .use(plugins.idempotency)
    .post('', async ({ user, body, headers, status }) => status(201, await topUps.create(user.id, body.amount, headers['idempotency-key']!)), {
      auth: true,
      idempotent: true,
      body: topUpBody(maxAmountMinor),
      response: { 201: TopUp, 400: Problem, 401: Problem, 404: Problem, 409: Problem, 422: Problem, 502: Problem },
      detail: {
        summary: 'Top up the wallet through the payment provider (Idempotency-Key required)',
        description:
          'demo: credited at once (`demo: true`, no real money). stripe: a pending top-up and its PaymentIntent; the app confirms it with `clientSecret` in Stripe\'s card form, and the wallet is credited when Stripe\'s webhook says it succeeded, exactly once. A retry with the same key answers with the same top-up (never a second intent); 502 provider_unavailable means nothing was charged, retry with the same key.',
        parameters: [{ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', minLength: 1, maxLength: 255 } }],
      },
    })
    .get('/:id', ({ user, params }) => topUps.get(user.id, params.id), {
      auth: true,
      params: t.Object({ id: t.String({ format: 'uuid', error: 'must be a UUID' }) }),
      response: { 200: TopUp, 401: Problem, 404: Problem, 422: Problem },
      detail: { summary: "The caller's top-up and its status (pending, succeeded, failed, canceled)" },
    })
}

/** The provider's signed notifications: no token (the signature is the proof), the raw body untouched. */
export function webhookRoutes(topUps: TopUpsService) {
  return new Elysia({ name: 'payments.webhooks' }).post(
    '/api/payments/webhooks/:provider',
    async ({ params, request }) => topUps.receive(params.provider, await rawBodyText(request), request.headers),
    {
      // The signature is over the exact bytes Stripe sent: they are kept as they came, never parsed
      // and re-encoded (the guards' hook reads a chunked body first; this one any other).
      parse: ({ request }) => rawBodyText(request),
      params: t.Object({ provider: t.String({ maxLength: 32 }) }),
      response: { 200: WebhookReceipt, 400: Problem, 404: Problem },
      detail: {
        tags: ['payments'],
        summary: "The payment provider's webhook (Stripe: Stripe-Signature over the raw body)",
        description:
          'A bad or missing signature, or a timestamp older than five minutes, is 400 invalid_signature and changes nothing. Each event id is recorded once: a repeat answers `duplicate: true` and changes nothing. payment_intent.succeeded credits the top-up once; payment_failed and canceled mark it.',
      },
    },
  )
}
