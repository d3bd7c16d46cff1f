import { Elysia, t } from 'elysia'
import { clientAddress, type TrustedProxies } from '@shop/shared/http/client-address'
import { Problem } from '@shop/shared/http/errors'
import { User } from '../users/model.ts'
import { Login, RefreshBody, Register, Tokens } from './model.ts'
import type { AuthService } from './service.ts'

export interface ClientAddressOptions {
  trustedProxies: TrustedProxies
}

export function authRoutes(auth: AuthService, options: ClientAddressOptions) {
  return new Elysia({ name: 'users.auth', prefix: '/api/auth', detail: { tags: ['auth'] } })
    .post('/register', async ({ body, status }) => status(201, await auth.register(body)), {
      body: Register,
      response: { 201: User, 409: Problem, 422: Problem },
      detail: { summary: 'Create a customer account' },
    })
    .post('/login', ({ body, request, server }) => auth.login(body, clientAddress(server?.requestIP(request)?.address, request.headers.get('x-forwarded-for'), options.trustedProxies)), {
      body: Login,
      response: { 200: Tokens, 401: Problem, 422: Problem, 429: Problem },
      detail: { summary: 'Sign in: a 15-minute access token and a refresh token' },
    })
    .post('/refresh', ({ body }) => auth.refresh(body.refreshToken), {
      body: RefreshBody,
      response: { 200: Tokens, 401: Problem, 422: Problem },
      detail: { summary: 'Rotate the refresh token; reusing a spent one revokes the session' },
    })
    .post(
      '/logout',
      async ({ body, set }) => {
        await auth.logout(body.refreshToken)
        set.status = 204
      },
      {
        body: RefreshBody,
        response: { 204: t.Void(), 422: Problem },
        detail: { summary: 'Revoke the session of this refresh token' },
      },
    )
}
