import { commonSpec, firstOf, int, loadConfig, optionalStr, port, proxyList, str } from '@shop/shared/runtime/config'

export const SCHEMA = 'users'

/** Everything the users service reads from the environment, checked once at start. */
export function readConfig(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(
    {
      ...commonSpec,
      DATABASE_URL: firstOf(['USERS_DATABASE_URL', 'DATABASE_URL'], commonSpec.DATABASE_URL),
      USERS_PORT: port(8081),
      HOST: str('0.0.0.0'),
      ADMIN_EMAIL: optionalStr(),
      ADMIN_PASSWORD: optionalStr(),
      /** PKCS#8 PEM of an ES256 private key; when unset, a key is generated once and kept in Postgres. */
      JWT_PRIVATE_KEY: optionalStr(),
      JWT_KEY_ID: optionalStr(),
      ACCESS_TOKEN_TTL_SECONDS: int(900, { min: 30, max: 3600 }),
      REFRESH_TOKEN_TTL_DAYS: int(30, { min: 1, max: 365 }),
      LOGIN_LIMIT_PER_EMAIL: int(10, { min: 1 }),
      LOGIN_LIMIT_PER_IP: int(50, { min: 1 }),
      LOGIN_LIMIT_WINDOW_SECONDS: int(900, { min: 1 }),
      /**
       * The gateway's address(es): only from these is X-Forwarded-For believed for the client
       * address that login limits count (bun run start sets the local loopback).
       */
      TRUSTED_PROXIES: proxyList(),
    },
    env,
  )
  if ((config.ADMIN_EMAIL === undefined) !== (config.ADMIN_PASSWORD === undefined))
    throw new Error('Invalid configuration:\n  - ADMIN_EMAIL and ADMIN_PASSWORD must be set together')
  return config
}

export type UsersConfig = ReturnType<typeof readConfig>
