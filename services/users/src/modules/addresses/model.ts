import { t } from 'elysia'
import { AddressChanges, AddressInput } from '@shop/shared/domain/address'

/** How many addresses one user may keep (the database's trigger says the same). */
export const MAX_ADDRESSES_PER_USER = 20

/** An address as clients see it: absent optional fields are null. */
export const Address = t.Object({
  id: t.String({ format: 'uuid' }),
  name: t.String(),
  line1: t.String(),
  line2: t.Union([t.String(), t.Null()]),
  city: t.String(),
  region: t.Union([t.String(), t.Null()]),
  postalCode: t.String(),
  /** ISO 3166-1 alpha-2, in capitals. */
  country: t.String(),
  phone: t.Union([t.String(), t.Null()]),
  createdAt: t.String({ format: 'date-time' }),
  updatedAt: t.String({ format: 'date-time' }),
})
export type Address = typeof Address.static

/** A new address: the shape orders also takes for a shipping address (shared/src/domain/address.ts). */
export const CreateAddress = AddressInput
export type CreateAddress = typeof CreateAddress.static

export const UpdateAddress = AddressChanges
export type UpdateAddress = typeof UpdateAddress.static

export const AddressIdParams = t.Object({ id: t.String({ format: 'uuid', error: 'must be a UUID' }) })
