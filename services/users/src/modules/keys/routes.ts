import { Elysia, t } from 'elysia'
import type { KeyRing } from './service.ts'

const Jwks = t.Object({ keys: t.Array(t.Record(t.String(), t.Unknown())) })

export function keysRoutes(keys: KeyRing) {
  return new Elysia({ name: 'users.keys' }).get(
    '/.well-known/jwks.json',
    ({ set }) => {
      set.headers['cache-control'] = 'public, max-age=300'
      return keys.jwks
    },
    {
      response: { 200: Jwks },
      detail: { tags: ['auth'], summary: 'The public keys that verify access tokens (JWKS)' },
    },
  )
}
