/**
 * Bull Board for every queue at /admin/queues, for admins only. Browsers cannot send a bearer
 * token when they navigate, so /admin/login signs in through the users service and keeps the
 * admin's access token in an HttpOnly, SameSite=Strict cookie scoped to /admin (15 minutes, the
 * token's own life). The Elysia adapter of Bull Board does not work with BullMQ 6; its Hono
 * adapter is mounted instead.
 */
import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { HonoAdapter } from '@bull-board/hono'
import { Queue } from 'bullmq'
import { Elysia, t } from 'elysia'
import { Hono } from 'hono'
import { serveStatic } from 'hono/bun'
import type { Redis } from 'ioredis'
import { bearerToken, type TokenVerifier } from '@shop/shared/http/auth'
import { QUEUES } from '@shop/shared/domain/contracts'
import { AppError } from '@shop/shared/http/errors'

const BASE = '/admin/queues'
const COOKIE = 'shop_admin'

const page = (body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop admin</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 24rem; margin: 4rem auto; line-height: 1.5">${body}</body></html>`

const LOGIN_FORM = (message = '') =>
  page(`<h1>Queue dashboard</h1>${message ? `<p role="alert">${message}</p>` : ''}
  <form method="post" action="/admin/login">
    <p><label>Email<br><input name="email" type="email" required autocomplete="username"></label></p>
    <p><label>Password<br><input name="password" type="password" required autocomplete="current-password"></label></p>
    <p><button type="submit">Sign in</button></p>
  </form>`)

function cookieToken(header: string | null): string | undefined {
  return header
    ?.split(';')
    .map((c) => c.trim().split('='))
    .find(([name]) => name === COOKIE)?.[1]
}

/**
 * The gateway's handles on every queue, shared by Bull Board and the console's system status;
 * closed by the gateway when it stops.
 */
export function openQueues(connection: Redis, prefix: string): Queue[] {
  return QUEUES.map((name) => {
    const queue = new Queue(name, { connection, prefix })
    // Redis coming and going is reported by /ready; without a listener BullMQ prints each error.
    queue.on('error', () => {})
    return queue
  })
}

export interface QueuesOptions {
  queues: Queue[]
  verifier: TokenVerifier
  /** An instance of the users service (the dashboard's sign-in goes there). */
  usersUrl: () => string
}

export function queueRoutes(options: QueuesOptions) {
  const { queues } = options
  const adapter = new HonoAdapter(serveStatic)
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter, options: { uiConfig: { boardTitle: 'Shop queues' } } })
  adapter.setBasePath(BASE)
  const board = new Hono().route(BASE, adapter.registerPlugin())

  async function isAdmin(request: Request): Promise<boolean> {
    const token = cookieToken(request.headers.get('cookie')) ?? (request.headers.get('authorization') ? bearerToken(request.headers.get('authorization')!) : undefined)
    if (!token) return false
    try {
      return (await options.verifier.verify(token)).role === 'admin'
    } catch (error) {
      if (error instanceof AppError && error.status === 503) throw error
      return false
    }
  }

  const html = (body: string, status = 200, headers: Record<string, string> = {}) =>
    new Response(body, { status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers } })

  const dashboard = async ({ request }: { request: Request }) => {
    if (!(await isAdmin(request))) return Response.redirect('/admin/login', 303)
    const response = await board.fetch(request)
    // Bull Board's page runs its own inline bootstrap script and styles.
    const headers = new Headers(response.headers)
    headers.set('content-security-policy', "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
    return new Response(response.body, { status: response.status, headers })
  }

  return new Elysia({ name: 'gateway.queues' })
    .get('/admin/login', () => html(LOGIN_FORM()), { response: { 200: t.Any() }, detail: { hide: true } })
    .post(
      '/admin/login',
      async ({ body, request }) => {
        const res = await fetch(new URL('/api/auth/login', options.usersUrl()), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': request.headers.get('x-forwarded-for') ?? '' },
          body: JSON.stringify({ email: body.email, password: body.password }),
          signal: AbortSignal.timeout(10_000),
        }).catch(() => undefined)
        if (!res) return html(LOGIN_FORM('The users service is unavailable; try again shortly.'), 502)
        if (res.status === 429) return html(LOGIN_FORM('Too many attempts; wait a few minutes.'), 429)
        if (!res.ok) return html(LOGIN_FORM('Wrong email or password.'), 401)
        const { accessToken, expiresIn } = (await res.json()) as { accessToken: string; expiresIn: number }
        if ((await options.verifier.verify(accessToken)).role !== 'admin') return html(LOGIN_FORM('This account is not an admin.'), 403)
        return new Response(null, {
          status: 303,
          headers: {
            location: BASE,
            'set-cookie': `${COOKIE}=${accessToken}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${expiresIn}`,
          },
        })
      },
      {
        body: t.Object({ email: t.String({ maxLength: 254 }), password: t.String({ maxLength: 128 }) }),
        response: { 200: t.Any(), 303: t.Any() },
        detail: { hide: true },
      },
    )
    .post(
      '/admin/logout',
      () => new Response(null, { status: 303, headers: { location: '/admin/login', 'set-cookie': `${COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0` } }),
      { response: { 303: t.Any() }, detail: { hide: true } },
    )
    .get(BASE, dashboard, { response: { 200: t.Any() }, detail: { hide: true } })
    .get(`${BASE}/*`, dashboard, { response: { 200: t.Any() }, detail: { hide: true } })
    .put(`${BASE}/*`, dashboard, { parse: 'none', response: { 200: t.Any() }, detail: { hide: true } })
    .post(`${BASE}/*`, dashboard, { parse: 'none', response: { 200: t.Any() }, detail: { hide: true } })
    .delete(`${BASE}/*`, dashboard, { parse: 'none', response: { 200: t.Any() }, detail: { hide: true } })
}
