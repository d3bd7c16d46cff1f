import { commonSpec, firstOf, int, loadConfig, port, str, url } from '@shop/shared/runtime/config'

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
      USERS_URL: url('http://127.0.0.1:8081', ['http:', 'https:']),
      /** The largest single deposit, in minor units. */
      MAX_DEPOSIT: int(1_000_000, { min: 1, max: Number.MAX_SAFE_INTEGER }),
      /** ISO-4217 codes a wallet may be opened in, comma separated. */
      SUPPORTED_CURRENCIES: str('EUR,USD,GBP,CHF,JPY,CAD,AUD,SEK,NOK,DKK,PLN,CZK'),
      PAYMENTS_WORKER_CONCURRENCY: int(16, { min: 1, max: 256 }),
    },
    env,
  )
  const currencies = config.SUPPORTED_CURRENCIES.split(',').map((c) => c.trim().toUpperCase())
  const bad = currencies.filter((c) => !/^[A-Z]{3}$/.test(c))
  if (bad.length) throw new Error(`Invalid configuration:\n  - SUPPORTED_CURRENCIES has invalid codes: ${bad.join(', ')}`)
  return { ...config, currencies }
}

export type PaymentsConfig = ReturnType<typeof readConfig>
