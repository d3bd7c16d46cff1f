import { commonSpec, firstOf, int, loadConfig, port, str, url } from '@shop/shared/runtime/config'

export const SCHEMA = 'reviews'

/** Everything reviews and its worker read from the environment, checked once at start. */
export function readConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      ...commonSpec,
      DATABASE_URL: firstOf(['REVIEWS_DATABASE_URL', 'DATABASE_URL'], commonSpec.DATABASE_URL),
      REVIEWS_PORT: port(8085),
      HOST: str('0.0.0.0'),
      /** Where the users service publishes its JWKS. */
      USERS_URL: url('http://127.0.0.1:8081', ['http:', 'https:']),
      /** Where the catalog's public product routes are (is an unknown product a 404?). */
      CATALOG_URL: url('http://127.0.0.1:8084', ['http:', 'https:']),
      REVIEWS_WORKER_CONCURRENCY: int(8, { min: 1, max: 256 }),
    },
    env,
  )
}

export type ReviewsConfig = ReturnType<typeof readConfig>
