/**
 * The caller's address book: at most MAX_ADDRESSES_PER_USER addresses, each visible to its owner
 * alone (another user's address is "not found", never "forbidden": its existence is not told).
 */
import { ConflictError, NotFoundError, ValidationFailedError } from '@shop/shared/http/errors'
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { characterCount } from '../auth/password.ts'
import { isCountryCode } from './countries.ts'
import {
  COUNTRY_ERROR,
  FIELD_CHARACTERS,
  MAX_ADDRESSES_PER_USER,
  PHONE_ERROR,
  PHONE_MAX,
  POSTAL_CODE_ERROR,
  POSTAL_CODE_MAX,
  type Address,
  type CreateAddress,
  type UpdateAddress,
} from './model.ts'
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

type Problems = { field: string; message: string }[]

// Control characters (a newline, a tab) in one line of a shipping label: refused, not printed.
const CONTROL = /\p{Cc}/u
const POSTAL_CODE = /^[A-Za-z0-9][A-Za-z0-9 -]*$/
const PHONE = /^\+?[0-9(][0-9 ()./-]*[0-9]$/

/**
 * One line of text as stored: trimmed and in Unicode NFC, as users' names are; at most `max`
 * characters as people count them. Blank is null where the field is optional.
 */
function line(field: keyof typeof FIELD_CHARACTERS, value: string | null, required: boolean, problems: Problems): string | null {
  const max = FIELD_CHARACTERS[field]
  const trimmed = value?.trim().normalize('NFC') ?? ''
  if (!trimmed) {
    if (required) problems.push({ field, message: 'must not be blank' })
    return null
  }
  // The second bound is the schema's again: NFC can lengthen a text (U+0344 becomes two code
  // points), and past it the table's CHECK would refuse what was accepted here.
  if (characterCount(trimmed) > max || trimmed.length > max * 4) problems.push({ field, message: `must be ${required ? '1 to ' : 'at most '}${max} characters` })
  else if (CONTROL.test(trimmed)) problems.push({ field, message: 'must be one line of text, without control characters' })
  return trimmed
}

function postalCode(value: string, problems: Problems): string {
  const trimmed = value.trim()
  if (trimmed.length > POSTAL_CODE_MAX || !POSTAL_CODE.test(trimmed)) problems.push({ field: 'postalCode', message: POSTAL_CODE_ERROR })
  return trimmed
}

function country(value: string, problems: Problems): string {
  if (!isCountryCode(value)) problems.push({ field: 'country', message: COUNTRY_ERROR })
  return value
}

function phone(value: string | null, problems: Problems): string | null {
  const trimmed = value?.trim() ?? ''
  if (!trimmed) return null
  const digits = trimmed.replace(/\D/g, '').length
  // E.164 numbers have at most 15 digits; fewer than 4 is no number anyone can call.
  if (trimmed.length > PHONE_MAX || !PHONE.test(trimmed) || digits < 4 || digits > 15) problems.push({ field: 'phone', message: PHONE_ERROR })
  return trimmed
}

function failIfAny(problems: Problems): void {
  if (problems.length) throw new ValidationFailedError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems)
}

/** The fields of a new address as stored, or a 422 naming every field that is wrong. */
export function normaliseNew(input: CreateAddress): repo.AddressFields {
  const problems: Problems = []
  const fields: repo.AddressFields = {
    name: line('name', input.name, true, problems)!,
    line1: line('line1', input.line1, true, problems)!,
    line2: line('line2', input.line2 ?? null, false, problems),
    city: line('city', input.city, true, problems)!,
    region: line('region', input.region ?? null, false, problems),
    postalCode: postalCode(input.postalCode, problems),
    country: country(input.country, problems),
    phone: phone(input.phone ?? null, problems),
  }
  failIfAny(problems)
  return fields
}

/** The changes asked for, as stored (null clears an optional field), or a 422 naming every field that is wrong. */
export function normaliseChanges(input: UpdateAddress): Partial<repo.AddressFields> {
  const problems: Problems = []
  const changes: Partial<repo.AddressFields> = {}
  if (input.name !== undefined) changes.name = line('name', input.name, true, problems)!
  if (input.line1 !== undefined) changes.line1 = line('line1', input.line1, true, problems)!
  if (input.line2 !== undefined) changes.line2 = line('line2', input.line2, false, problems)
  if (input.city !== undefined) changes.city = line('city', input.city, true, problems)!
  if (input.region !== undefined) changes.region = line('region', input.region, false, problems)
  if (input.postalCode !== undefined) changes.postalCode = postalCode(input.postalCode, problems)
  if (input.country !== undefined) changes.country = country(input.country, problems)
  if (input.phone !== undefined) changes.phone = phone(input.phone, problems)
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
