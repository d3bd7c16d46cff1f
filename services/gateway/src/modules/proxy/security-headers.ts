import { Elysia } from 'elysia'

/**
 * Headers on every answer. The CSP fits the web UI served at / (its own scripts, styles and
 * API calls, and Stripe's card form: Stripe.js, its frames and api.stripe.com, the sources
 * Stripe documents); Swagger UI's page sets its own.
 */
export const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  'content-security-policy':
    "default-src 'self'; script-src 'self' https://js.stripe.com https://*.js.stripe.com; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; connect-src 'self' https://api.stripe.com; frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
}

export const securityHeadersPlugin = () =>
  new Elysia({ name: 'gateway.security-headers' }).onRequest(({ set }) => {
    for (const [key, value] of Object.entries(SECURITY_HEADERS)) set.headers[key] ??= value
  })
