import { ConfigError, commonSpec, firstOf, int, loadConfig, oneOf, optionalStr, port, str, url, urlList } from '@shop/shared/runtime/config'

export const SCHEMA = 'payments'

/** Everything the payments service and its worker read from the environment, checked once. */
export function readConfig(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(
    {
      ...commonSpec,
      DATABASE_URL: firstOf(['PAYMENTS_DATABASE_URL', 'DATABASE_URL'], commonSpec.DATABASE_URL),
      PAYMENTS_PORT: port(8083),
      HOST: str('0.0.0.0'),
      /** Where the users service publishes its JWKS. */
      USERS_URL: urlList('http://127.0.0.1:8081', ['http:', 'https:']),
      /** The largest single deposit, in minor units. */
      MAX_DEPOSIT: int(1_000_000, { min: 1, max: Number.MAX_SAFE_INTEGER }),
      /** ISO-4217 codes a wallet may be opened in, comma separated. */
      SUPPORTED_CURRENCIES: str('EUR,USD,GBP,CHF,JPY,CAD,AUD,SEK,NOK,DKK,PLN,CZK'),
      PAYMENTS_WORKER_CONCURRENCY: int(16, { min: 1, max: 256 }),
      /**
       * Where money comes in: `demo` (a top-up succeeds at once; deposits stay open) or `stripe`
       * (top-ups are PaymentIntents, credited when Stripe's webhook confirms; deposits refused).
       */
      PAYMENT_PROVIDER: oneOf(['demo', 'stripe'], 'demo'),
      /** Stripe's secret API key (`sk_test_…` or `sk_live_…`, or a restricted `rk_…`): required with stripe. */
      STRIPE_SECRET_KEY: optionalStr(),
      /** The signing secret of the webhook endpoint (`whsec_…`): required with stripe. */
      STRIPE_WEBHOOK_SECRET: optionalStr(),
      /** The publishable key the app's card form loads Stripe.js with (`pk_test_…`/`pk_live_…`): required with stripe. */
      STRIPE_PUBLISHABLE_KEY: optionalStr(),
      /** Stripe's API address; only a test's stand-in server changes it. */
      STRIPE_API_URL: url('https://api.stripe.com', ['http:', 'https:']),
      /** A top-up still pending this long is asked about at the provider (then again, the wait doubling). */
      TOP_UP_RECHECK_SECONDS: int(300, { min: 1, max: 86_400 }),
      /** A top-up nobody paid within this many hours is cancelled at the provider, so it can never be paid late. */
      TOP_UP_EXPIRY_HOURS: int(24, { min: 1, max: 24 * 30 }),
    },
    env,
  )
  const currencies = config.SUPPORTED_CURRENCIES.split(',').map((c) => c.trim().toUpperCase())
  const problems: string[] = []
  const bad = currencies.filter((c) => !/^[A-Z]{3}$/.test(c))
  // Secret keys travel to it: https, or plain http only to this machine (a test's stand-in).
  const stripeApi = new URL(config.STRIPE_API_URL)
  if (stripeApi.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(stripeApi.hostname))
    problems.push('STRIPE_API_URL must be https (plain http only to 127.0.0.1 or localhost)')
  if (bad.length) problems.push(`SUPPORTED_CURRENCIES has invalid codes: ${bad.join(', ')}`)
  // Keys set with demo settle the Stripe top-ups made before a switch back: they must be whole too.
  if (config.PAYMENT_PROVIDER === 'stripe' || config.STRIPE_SECRET_KEY || config.STRIPE_WEBHOOK_SECRET || config.STRIPE_PUBLISHABLE_KEY)
    problems.push(...stripeProblems(config))
  if (problems.length) throw new ConfigError(problems)
  return { ...config, currencies }
}

/** With Stripe, all three keys must be there and look like what Stripe issues (a swapped key fails at start, not at the first customer). */
function stripeProblems(config: { STRIPE_SECRET_KEY?: string; STRIPE_WEBHOOK_SECRET?: string; STRIPE_PUBLISHABLE_KEY?: string }): string[] {
  const problems: string[] = []
  const check = (name: string, value: string | undefined, pattern: RegExp, what: string) => {
    if (!value) problems.push(`${name} is required when PAYMENT_PROVIDER=stripe or another STRIPE_ key is set`)
    else if (!pattern.test(value)) problems.push(`${name} must be ${what}`)
  }
  check('STRIPE_SECRET_KEY', config.STRIPE_SECRET_KEY, /^(sk|rk)_(test|live)_\w+$/, 'a secret key (sk_test_…, sk_live_… or a restricted rk_…)')
  check('STRIPE_WEBHOOK_SECRET', config.STRIPE_WEBHOOK_SECRET, /^whsec_\w+$/, "the endpoint's signing secret (whsec_…)")
  check('STRIPE_PUBLISHABLE_KEY', config.STRIPE_PUBLISHABLE_KEY, /^pk_(test|live)_\w+$/, 'a publishable key (pk_test_… or pk_live_…)')
  const mode = (key: string | undefined) => key?.match(/_(test|live)_/)?.[1]
  if (mode(config.STRIPE_SECRET_KEY) && mode(config.STRIPE_PUBLISHABLE_KEY) && mode(config.STRIPE_SECRET_KEY) !== mode(config.STRIPE_PUBLISHABLE_KEY))
    problems.push('STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY must both be test keys or both live keys')
  return problems
}

export type PaymentsConfig = ReturnType<typeof readConfig>
