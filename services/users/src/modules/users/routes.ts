import { Elysia } from 'elysia'
import { Problem } from '@shop/shared/http/errors'
import type { authPlugin } from '@shop/shared/http/auth'
import { UpdateMe, User, UserIdParams } from './model.ts'
import type { UsersService } from './service.ts'

export function usersRoutes(users: UsersService, auth: ReturnType<typeof authPlugin>) {
  return new Elysia({ name: 'users.users', prefix: '/api/users', detail: { tags: ['users'] } })
    .use(auth)
    .get('/me', ({ user }) => users.getById(user.id), {
      auth: true,
      response: { 200: User, 401: Problem, 404: Problem },
      detail: { summary: 'The caller profile' },
    })
    .patch('/me', ({ user, body }) => users.updateMe(user.id, user.sessionId, body), {
      auth: true,
      body: UpdateMe,
      response: { 200: User, 401: Problem, 404: Problem, 409: Problem, 422: Problem },
      detail: { summary: 'Change name, email or password (the last two need currentPassword)' },
    })
    .get('/:id', ({ params }) => users.getById(params.id), {
      auth: 'admin',
      params: UserIdParams,
      response: { 200: User, 401: Problem, 403: Problem, 404: Problem, 422: Problem },
      detail: { summary: 'Admin: any user by id' },
    })
}
