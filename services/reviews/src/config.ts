import { commonSpec, firstOf, int, loadConfig, port, str, url, urlList } from '@shop/shared/runtime/config'

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
      USERS_URL: urlList('http://127.0.0.1:8081', ['http:', 'https:']),
      /** Where the catalog's public product routes are (is an unknown product a 404?). */
      CATALOG_URL: urlList('http://127.0.0.1:8084', ['http:', 'https:']),
      REVIEWS_WORKER_CONCURRENCY: int(8, { min: 1, max: 256 }),
      /**
       * A product's last rating change is sent to the catalog again this long after it (Redis may
       * forget review.changed after it was sent); the worker looks for such changes every fifth of it.
       */
      RATING_RESEND_SECONDS: int(30, { min: 1, max: 86_400 }),
    },
    env,
  )
}

export type ReviewsConfig = ReturnType<typeof readConfig>
