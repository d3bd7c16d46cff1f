import { t } from 'elysia'

/** How many addresses one user may keep (the database's trigger says the same). */
export const MAX_ADDRESSES_PER_USER = 20

/**
 * The most characters each text field may hold, as people count them (grapheme clusters, checked
 * by the service after trimming). The schemas allow four UTF-16 units per character, a cheap first
 * bound; the migration's CHECKs are that same bound.
 */
export const FIELD_CHARACTERS = { name: 100, line1: 200, line2: 200, city: 100, region: 100 } as const
export const POSTAL_CODE_MAX = 20
export const PHONE_MAX = 32

const text = (max: number, required: boolean) => {
  const bound = required ? `1 to ${max} characters` : `at most ${max} characters`
  return t.String({
    ...(required ? { minLength: 1 } : {}),
    maxLength: max * 4,
    description: `${bound} as people count them (grapheme clusters), trimmed; maxLength counts UTF-16 units`,
    error: `must be ${bound}`,
  })
}

const COUNTRY_RULE = 'an ISO 3166-1 alpha-2 country code in capitals, such as DE or US'
const POSTAL_CODE_RULE = `1 to ${POSTAL_CODE_MAX} letters, digits, spaces or hyphens`
const PHONE_RULE = `a phone number: 4 to 15 digits with spaces, ( ) . / -, optionally starting with +; at most ${PHONE_MAX} characters`
export const COUNTRY_ERROR = `must be ${COUNTRY_RULE}`
export const POSTAL_CODE_ERROR = `must be ${POSTAL_CODE_RULE}`
export const PHONE_ERROR = `must be ${PHONE_RULE}`

// Codes are taken as written: `de` is a 422, not quietly made `DE`.
const Country = t.String({ pattern: '^[A-Z]{2}$', description: COUNTRY_RULE, error: COUNTRY_ERROR })
// Surrounding spaces are allowed here and trimmed by the service, as for names and emails.
const PostalCode = t.String({ pattern: '^\\s*[A-Za-z0-9][A-Za-z0-9 -]*\\s*$', maxLength: POSTAL_CODE_MAX * 2, description: POSTAL_CODE_RULE, error: POSTAL_CODE_ERROR })
const Phone = t.String({ pattern: '^\\s*\\+?[0-9(][0-9 ()./-]*[0-9]\\s*$', maxLength: PHONE_MAX * 2, description: PHONE_RULE, error: PHONE_ERROR })

// The union carries the field's message: a union's own would be "Expected union value".
const Nullable = <T extends ReturnType<typeof t.String>>(schema: T) => t.Union([schema, t.Null()], { error: schema.error })

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

export const CreateAddress = t.Object(
  {
    /** Who receives the parcel. */
    name: text(FIELD_CHARACTERS.name, true),
    line1: text(FIELD_CHARACTERS.line1, true),
    line2: t.Optional(Nullable(text(FIELD_CHARACTERS.line2, false))),
    city: text(FIELD_CHARACTERS.city, true),
    region: t.Optional(Nullable(text(FIELD_CHARACTERS.region, false))),
    postalCode: PostalCode,
    country: Country,
    phone: t.Optional(Nullable(Phone)),
  },
  { additionalProperties: false },
)
export type CreateAddress = typeof CreateAddress.static

export const UpdateAddress = t.Object(
  {
    name: t.Optional(text(FIELD_CHARACTERS.name, true)),
    line1: t.Optional(text(FIELD_CHARACTERS.line1, true)),
    /** null (or blank) removes it. */
    line2: t.Optional(Nullable(text(FIELD_CHARACTERS.line2, false))),
    city: t.Optional(text(FIELD_CHARACTERS.city, true)),
    region: t.Optional(Nullable(text(FIELD_CHARACTERS.region, false))),
    postalCode: t.Optional(PostalCode),
    country: t.Optional(Country),
    phone: t.Optional(Nullable(Phone)),
  },
  // Something to change: an empty object is a 422, not a silent 200 (as PATCH /api/users/me).
  { additionalProperties: false, minProperties: 1, error: 'must be an object with at least one field of the address' },
)
export type UpdateAddress = typeof UpdateAddress.static

export const AddressIdParams = t.Object({ id: t.String({ format: 'uuid', error: 'must be a UUID' }) })
