/**
 * The caller's address book: at most MAX_ADDRESSES_PER_USER addresses, each visible to its owner
 * alone (another user's address is "not found", never "forbidden": its existence is not told).
 */
import { ConflictError, NotFoundError, ValidationFailedError } from '@shop/shared/http/errors'
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { checkAddress, checkAddressChanges, describeProblems, type AddressProblems } from '@shop/shared/domain/address'
import { MAX_ADDRESSES_PER_USER, type Address, type CreateAddress, type UpdateAddress } from './model.ts'
import * as repo from './repository.ts'

export class AddressLimitReachedError extends ConflictError<'address_limit_reached'> {
  constructor() {
    super(`An address book holds at most ${MAX_ADDRESSES_PER_USER} addresses; delete one first`, 'address_limit_reached')
  }
}

export function toAddress(row: repo.AddressRow): Address {
  return {
    id: row.id,
    name: row.name,
    line1: row.line1,
    line2: row.line2,
    city: row.city,
    region: row.region,
    postalCode: row.postalCode,
    country: row.country,
    phone: row.phone,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

function failIfAny(problems: AddressProblems): void {
  if (!problems.length) return
  const { detail, errors } = describeProblems(problems)
  throw new ValidationFailedError(detail, errors)
}

/** The fields of a new address as stored, or a 422 naming every field that is wrong. */
export function normaliseNew(input: CreateAddress): repo.AddressFields {
  const { fields, problems } = checkAddress(input)
  failIfAny(problems)
  return fields
}

/** The changes asked for, as stored (null clears an optional field), or a 422 naming every field that is wrong. */
export function normaliseChanges(input: UpdateAddress): Partial<repo.AddressFields> {
  const { changes, problems } = checkAddressChanges(input)
  failIfAny(problems)
  return changes
}

function constraintOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { constraint_name?: string }).constraint_name : undefined
}

const notFound = () => new NotFoundError('No such address')

export function createAddressesService(deps: { sql: Sql; log: Logger }) {
  const { sql, log } = deps

  return {
    /** The whole book in one page (it never holds more than a page): `nextCursor` is always null. */
    async list(userId: string): Promise<{ items: Address[]; nextCursor: null }> {
      return { items: (await repo.listByUser(sql, userId)).map(toAddress), nextCursor: null }
    },

    async get(userId: string, id: string): Promise<Address> {
      const row = await repo.findOwned(sql, userId, id)
      if (!row) throw notFound()
      return toAddress(row)
    },

    async create(userId: string, input: CreateAddress): Promise<Address> {
      const fields = normaliseNew(input)
      try {
        const row = await repo.insert(sql, { id: Bun.randomUUIDv7(), userId, ...fields })
        log.info('address added', { userId, addressId: row.id })
        return toAddress(row)
      } catch (error) {
        // The count is the database's (a trigger, under a lock of the owner): concurrent adds cannot pass it.
        if (constraintOf(error) === repo.LIMIT_CONSTRAINT) throw new AddressLimitReachedError()
        // A valid token of an account that is gone: as GET /api/users/me answers.
        if (constraintOf(error) === repo.OWNER_CONSTRAINT) throw new NotFoundError('No such user')
        throw error
      }
    },

    async update(userId: string, id: string, input: UpdateAddress): Promise<Address> {
      const row = await repo.update(sql, userId, id, normaliseChanges(input))
      if (!row) throw notFound()
      return toAddress(row)
    },

    async remove(userId: string, id: string): Promise<void> {
      if (!(await repo.remove(sql, userId, id))) throw notFound()
      log.info('address deleted', { userId, addressId: id })
    },
  }
}

export type AddressesService = ReturnType<typeof createAddressesService>
