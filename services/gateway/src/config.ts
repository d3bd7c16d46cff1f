import { commonSpec, int, loadConfig, port, proxyList, str, urlList } from '@shop/shared/runtime/config'

/** Everything the gateway reads from the environment, checked once at start. */
export function readConfig(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(
    {
      REDIS_URL: commonSpec.REDIS_URL,
      QUEUE_PREFIX: commonSpec.QUEUE_PREFIX,
      LOG_LEVEL: commonSpec.LOG_LEVEL,
      JWT_ISSUER: commonSpec.JWT_ISSUER,
      JWT_AUDIENCE: commonSpec.JWT_AUDIENCE,
      GATEWAY_PORT: port(8080),
      HOST: str('0.0.0.0'),
      // Each service's instances, comma separated: requests are spread over them (balancer.ts).
      USERS_URL: urlList('http://127.0.0.1:8081', ['http:', 'https:']),
      ORDERS_URL: urlList('http://127.0.0.1:8082', ['http:', 'https:']),
      PAYMENTS_URL: urlList('http://127.0.0.1:8083', ['http:', 'https:']),
      CATALOG_URL: urlList('http://127.0.0.1:8084', ['http:', 'https:']),
      REVIEWS_URL: urlList('http://127.0.0.1:8085', ['http:', 'https:']),
      /** How long an instance that refused a connection is left out of the turn. */
      UPSTREAM_DOWN_SECONDS: int(5, { min: 1, max: 300 }),
      /** Origins allowed to call the API from a browser, comma separated (the web UI at / needs none). */
      CORS_ORIGINS: str('http://localhost:5173,http://127.0.0.1:5173'),
      /** Largest request body, in bytes. */
      MAX_BODY_BYTES: int(1_048_576, { min: 1024, max: 100 * 1_048_576 }),
      /** How long an upstream may take to answer (SSE streams are bounded only until their headers). */
      UPSTREAM_TIMEOUT_MS: int(10_000, { min: 100, max: 300_000 }),
      /** Write requests (POST, PATCH, PUT, DELETE) per signed-in user per minute. */
      WRITE_LIMIT_PER_MINUTE: int(120, { min: 1 }),
      /** Write requests per client address per minute without a valid access token (register, login, refresh). */
      ANONYMOUS_WRITE_LIMIT_PER_MINUTE: int(300, { min: 1 }),
      /** Payment-provider webhooks per sending address per minute: generous (Stripe sends bursts from a few addresses), yet a flood of forged ones cannot reach payments unbounded. */
      WEBHOOK_LIMIT_PER_MINUTE: int(3000, { min: 1 }),
      /** Load balancers in front of the gateway whose X-Forwarded-For is believed: addresses or CIDR blocks. */
      TRUSTED_PROXIES: proxyList(),
      /** The web build of the desktop renderer, served at /. */
      WEB_DIR: str('desktop/dist-web'),
    },
    env,
  )
  const origins = config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean)
  const bad = origins.filter((o) => !/^https?:\/\/[^/\s]+$/.test(o))
  if (bad.length) throw new Error(`Invalid configuration:\n  - CORS_ORIGINS has entries that are not origins: ${bad.join(', ')}`)
  return { ...config, origins }
}

export type GatewayConfig = ReturnType<typeof readConfig>
