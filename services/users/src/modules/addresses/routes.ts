import { Elysia, t } from 'elysia'
import type { authPlugin } from '@shop/shared/http/auth'
import { Problem } from '@shop/shared/http/errors'
import { Page } from '@shop/shared/http/pagination'
import { Address, AddressIdParams, CreateAddress, MAX_ADDRESSES_PER_USER, UpdateAddress } from './model.ts'
import type { AddressesService } from './service.ts'

export function addressesRoutes(addresses: AddressesService, auth: ReturnType<typeof authPlugin>) {
  return new Elysia({ name: 'users.addresses', prefix: '/api/users/me/addresses', detail: { tags: ['addresses'] } })
    .use(auth)
    .get('', ({ user }) => addresses.list(user.id), {
      auth: true,
      response: { 200: Page(Address), 401: Problem },
      detail: { summary: `The caller's address book, newest first: all of it in one page (at most ${MAX_ADDRESSES_PER_USER}; nextCursor is null)` },
    })
    .post('', async ({ user, body, status }) => status(201, await addresses.create(user.id, body)), {
      auth: true,
      body: CreateAddress,
      response: { 201: Address, 401: Problem, 404: Problem, 409: Problem, 422: Problem },
      detail: {
        summary: `Add an address; country is ISO 3166-1 alpha-2 in capitals. Past ${MAX_ADDRESSES_PER_USER}: 409 address_limit_reached`,
      },
    })
    .get('/:id', ({ user, params }) => addresses.get(user.id, params.id), {
      auth: true,
      params: AddressIdParams,
      response: { 200: Address, 401: Problem, 404: Problem, 422: Problem },
      detail: { summary: "One of the caller's addresses (another user's is a 404)" },
    })
    .patch('/:id', ({ user, params, body }) => addresses.update(user.id, params.id, body), {
      auth: true,
      params: AddressIdParams,
      body: UpdateAddress,
      response: { 200: Address, 401: Problem, 404: Problem, 422: Problem },
      detail: { summary: 'Change some fields of an address; null removes line2, region or phone' },
    })
    .delete(
      '/:id',
      async ({ user, params, set }) => {
        await addresses.remove(user.id, params.id)
        set.status = 204
      },
      {
        auth: true,
        params: AddressIdParams,
        response: { 204: t.Void(), 401: Problem, 404: Problem, 422: Problem },
        detail: { summary: 'Delete an address' },
      },
    )
}
