import { bool, commonSpec, firstOf, loadConfig, port, secret, str, url, urlList } from '@shop/shared/runtime/config'

export const SCHEMA = 'catalog'

/** Everything catalog and its worker read from the environment, checked once at start. */
export function readConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      ...commonSpec,
      DATABASE_URL: firstOf(['CATALOG_DATABASE_URL', 'DATABASE_URL'], commonSpec.DATABASE_URL),
      CATALOG_PORT: port(8084),
      HOST: str('0.0.0.0'),
      USERS_URL: urlList('http://127.0.0.1:8081', ['http:', 'https:']),
      /** Shared secret other services present on internal routes (X-Service-Token). */
      INTERNAL_TOKEN: secret(16),
      /** Fill an empty catalog with demo products at start. */
      DEMO_DATA: bool(false),
    },
    env,
  )
}

export type CatalogConfig = ReturnType<typeof readConfig>
