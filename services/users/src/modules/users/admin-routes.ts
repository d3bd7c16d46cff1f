import { Elysia } from 'elysia'
import type { authPlugin } from '@shop/shared/http/auth'
import { Problem } from '@shop/shared/http/errors'
import { Page } from '@shop/shared/http/pagination'
import { UserListItem, UserListQuery } from './model.ts'
import type { UsersService } from './service.ts'

/** The shop owner's view of the accounts, under /api/admin/users (the contract's admin prefix). */
export function adminUsersRoutes(users: UsersService, auth: ReturnType<typeof authPlugin>) {
  return new Elysia({ name: 'users.admin-users', prefix: '/api/admin/users', detail: { tags: ['admin'] } })
    .use(auth)
    .get('', ({ query }) => users.list(query), {
      auth: 'admin',
      query: UserListQuery,
      response: { 200: Page(UserListItem), 401: Problem, 403: Problem, 422: Problem },
      detail: { summary: 'Admin: users whose email or name starts with q (any case), newest first, keyset pages' },
    })
}
