import { Elysia, t } from 'elysia'
import type { authPlugin } from '@shop/shared/http/auth'
import { Problem } from '@shop/shared/http/errors'
import type { idempotencyPlugin } from '@shop/shared/http/idempotency'
import { Page, PageQuery } from '@shop/shared/http/pagination'
import { CreateWallet, LedgerEntry, Wallet, depositBody } from './model.ts'
import type { WalletsService } from './service.ts'

export function walletRoutes(
  wallets: WalletsService,
  plugins: { auth: ReturnType<typeof authPlugin>; idempotency: ReturnType<typeof idempotencyPlugin> },
  maxDeposit: number,
) {
  return new Elysia({ name: 'payments.wallets', prefix: '/api/wallet', detail: { tags: ['wallet'] } })
    .use(plugins.auth)
    .use(plugins.idempotency)
    .post('', async ({ user, body, status }) => status(201, await wallets.create(user.id, body.currency)), {
      auth: true,
      body: CreateWallet,
      response: { 201: Wallet, 401: Problem, 409: Problem, 422: Problem },
      detail: { summary: 'Open the caller wallet in a currency (one per user)' },
    })
    .get('', ({ user }) => wallets.get(user.id), {
      auth: true,
      response: { 200: Wallet, 401: Problem, 404: Problem },
      detail: { summary: 'The caller wallet: balance and available, in minor units' },
    })
    .post(
      '/deposits',
      async ({ user, body, headers, status }) =>
        status(201, await wallets.deposit(user.id, body.amount, headers['idempotency-key']!)),
      {
        auth: true,
        idempotent: true,
        body: depositBody(maxDeposit),
        response: { 201: LedgerEntry, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem },
        detail: {
          summary: 'Add demo money to the wallet (Idempotency-Key required); 403 deposits_disabled with a real payment provider',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', minLength: 1, maxLength: 255 } }],
        },
      },
    )
    .get('/transactions', ({ user, query }) => wallets.transactions(user.id, query.limit, query.cursor), {
      auth: true,
      query: PageQuery,
      response: { 200: Page(LedgerEntry), 401: Problem, 404: Problem, 422: Problem },
      detail: { summary: 'The caller ledger entries, newest first' },
    })
}

/** The owner's read-only view of a customer's wallet (the console's customer page). */
export function adminWalletRoutes(wallets: WalletsService, auth: ReturnType<typeof authPlugin>) {
  return new Elysia({ name: 'payments.admin-wallets', prefix: '/api/admin/wallets', detail: { tags: ['admin'] } })
    .use(auth)
    .get('/:userId', ({ params }) => wallets.get(params.userId), {
      auth: 'admin',
      params: t.Object({ userId: t.String({ format: 'uuid', error: 'must be a UUID' }) }),
      response: { 200: Wallet, 401: Problem, 403: Problem, 404: Problem, 422: Problem },
      detail: { summary: "Admin: a customer's wallet (balance and available), read only; 404 no_wallet when they have none" },
    })
    .get('/:userId/transactions', ({ params, query }) => wallets.transactions(params.userId, query.limit, query.cursor), {
      auth: 'admin',
      params: t.Object({ userId: t.String({ format: 'uuid', error: 'must be a UUID' }) }),
      query: PageQuery,
      response: { 200: Page(LedgerEntry), 401: Problem, 403: Problem, 404: Problem, 422: Problem },
      detail: { summary: "Admin: a customer's ledger entries, newest first, read only" },
    })
}
