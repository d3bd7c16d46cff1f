/**
 * A postal address (docs/contract.md, version 2): as the users' address book keeps it and as an
 * order carries it to the warehouse, validated the same way in both. `AddressInput` is what a
 * client sends; `AddressFields` what is answered (absent optional parts are null).
 */
import { Type, type Static, type TString } from '@sinclair/typebox'
import { getAlpha2Codes } from 'i18n-iso-countries'
import { characterCount } from './text.ts'

/**
 * The most characters each text field may hold, as people count them (grapheme clusters, checked
 * after trimming). The schemas allow four UTF-16 units per character, a cheap first bound; the
 * users' table CHECKs are that same bound.
 */
export const FIELD_CHARACTERS = { name: 100, line1: 200, line2: 200, city: 100, region: 100 } as const
export const POSTAL_CODE_MAX = 20
export const PHONE_MAX = 32

const text = (max: number, required: boolean) => {
  const bound = required ? `1 to ${max} characters` : `at most ${max} characters`
  return Type.String({
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
const Country = Type.String({ pattern: '^[A-Z]{2}$', description: COUNTRY_RULE, error: COUNTRY_ERROR })
// Surrounding spaces are allowed here and trimmed, as for names and emails.
const PostalCode = Type.String({ pattern: '^\\s*[A-Za-z0-9][A-Za-z0-9 -]*\\s*$', maxLength: POSTAL_CODE_MAX * 2, description: POSTAL_CODE_RULE, error: POSTAL_CODE_ERROR })
const Phone = Type.String({ pattern: '^\\s*\\+?[0-9(][0-9 ()./-]*[0-9]\\s*$', maxLength: PHONE_MAX * 2, description: PHONE_RULE, error: PHONE_ERROR })

// The union carries the field's message: a union's own would be "Expected union value".
const Nullable = (schema: TString) => Type.Union([schema, Type.Null()], { error: (schema as { error?: string }).error })

/** What a client sends for a new address (or an order's shipping address). */
export const AddressInput = Type.Object(
  {
    /** Who receives the parcel. */
    name: text(FIELD_CHARACTERS.name, true),
    line1: text(FIELD_CHARACTERS.line1, true),
    line2: Type.Optional(Nullable(text(FIELD_CHARACTERS.line2, false))),
    city: text(FIELD_CHARACTERS.city, true),
    region: Type.Optional(Nullable(text(FIELD_CHARACTERS.region, false))),
    postalCode: PostalCode,
    country: Country,
    phone: Type.Optional(Nullable(Phone)),
  },
  { additionalProperties: false },
)
export type AddressInput = Static<typeof AddressInput>

/** Changes to an address: null (or blank) clears an optional field. */
export const AddressChanges = Type.Object(
  {
    name: Type.Optional(text(FIELD_CHARACTERS.name, true)),
    line1: Type.Optional(text(FIELD_CHARACTERS.line1, true)),
    line2: Type.Optional(Nullable(text(FIELD_CHARACTERS.line2, false))),
    city: Type.Optional(text(FIELD_CHARACTERS.city, true)),
    region: Type.Optional(Nullable(text(FIELD_CHARACTERS.region, false))),
    postalCode: Type.Optional(PostalCode),
    country: Type.Optional(Country),
    phone: Type.Optional(Nullable(Phone)),
  },
  // Something to change: an empty object is a 422, not a silent 200 (as PATCH /api/users/me).
  { additionalProperties: false, minProperties: 1, error: 'must be an object with at least one field of the address' },
)
export type AddressChanges = Static<typeof AddressChanges>

/** An address as answered: absent optional parts are null. */
export const AddressFields = Type.Object({
  name: Type.String(),
  line1: Type.String(),
  line2: Type.Union([Type.String(), Type.Null()]),
  city: Type.String(),
  region: Type.Union([Type.String(), Type.Null()]),
  postalCode: Type.String(),
  /** ISO 3166-1 alpha-2, in capitals. */
  country: Type.String(),
  phone: Type.Union([Type.String(), Type.Null()]),
})
export type AddressFields = Static<typeof AddressFields>

/**
 * Which ISO 3166-1 alpha-2 codes exist: the list of i18n-iso-countries (pinned exactly), a package
 * kept up to date with ISO's changes, rather than a copy here that nobody updates. Its 250 codes
 * are ISO's 249 and XK (Kosovo: user-assigned by ISO, used by the EU and by carriers). Only the
 * codes are read; its `isValid` also accepts alpha-3 codes and any case.
 */
const CODES: ReadonlySet<string> = new Set(Object.keys(getAlpha2Codes()))

/** Whether `code` is an assigned alpha-2 code, exactly as written (capitals only). */
export function isCountryCode(code: string): boolean {
  return CODES.has(code)
}

export type AddressProblems = { field: string; message: string }[]

/**
 * The problems under `prefix` (an order's `shippingAddress.`), and the detail of the 422 that names
 * them all: what a ValidationFailedError takes.
 */
export function describeProblems(problems: AddressProblems, prefix = ''): { detail: string; errors: AddressProblems } {
  const errors = problems.map((p) => ({ field: `${prefix}${p.field}`, message: p.message }))
  return { detail: errors.map((p) => `${p.field}: ${p.message}`).join('; '), errors }
}

// Control characters (a newline, a tab) in one line of a shipping label: refused, not printed.
const CONTROL = /\p{Cc}/u
const POSTAL_CODE = /^[A-Za-z0-9][A-Za-z0-9 -]*$/
const PHONE = /^\+?[0-9(][0-9 ()./-]*[0-9]$/

/**
 * One line of text as stored: trimmed and in Unicode NFC; at most `max` characters as people
 * count them. Blank is null where the field is optional.
 */
function line(field: keyof typeof FIELD_CHARACTERS, value: string | null, required: boolean, problems: AddressProblems): string | null {
  const max = FIELD_CHARACTERS[field]
  const trimmed = value?.trim().normalize('NFC') ?? ''
  if (!trimmed) {
    if (required) problems.push({ field, message: 'must not be blank' })
    return null
  }
  // The second bound is the schema's again: NFC can lengthen a text (U+0344 becomes two code
  // points), and past it a table's CHECK would refuse what was accepted here.
  if (characterCount(trimmed) > max || trimmed.length > max * 4) problems.push({ field, message: `must be ${required ? '1 to ' : 'at most '}${max} characters` })
  else if (CONTROL.test(trimmed)) problems.push({ field, message: 'must be one line of text, without control characters' })
  return trimmed
}

function postalCode(value: string, problems: AddressProblems): string {
  const trimmed = value.trim()
  if (trimmed.length > POSTAL_CODE_MAX || !POSTAL_CODE.test(trimmed)) problems.push({ field: 'postalCode', message: POSTAL_CODE_ERROR })
  return trimmed
}

function country(value: string, problems: AddressProblems): string {
  if (!isCountryCode(value)) problems.push({ field: 'country', message: COUNTRY_ERROR })
  return value
}

function phone(value: string | null, problems: AddressProblems): string | null {
  const trimmed = value?.trim() ?? ''
  if (!trimmed) return null
  const digits = trimmed.replace(/\D/g, '').length
  // E.164 numbers have at most 15 digits; fewer than 4 is no number anyone can call.
  if (trimmed.length > PHONE_MAX || !PHONE.test(trimmed) || digits < 4 || digits > 15) problems.push({ field: 'phone', message: PHONE_ERROR })
  return trimmed
}

/** A new address as stored, and every field that is wrong (none: valid). */
export function checkAddress(input: AddressInput): { fields: AddressFields; problems: AddressProblems } {
  const problems: AddressProblems = []
  const fields: AddressFields = {
    name: line('name', input.name, true, problems)!,
    line1: line('line1', input.line1, true, problems)!,
    line2: line('line2', input.line2 ?? null, false, problems),
    city: line('city', input.city, true, problems)!,
    region: line('region', input.region ?? null, false, problems),
    postalCode: postalCode(input.postalCode, problems),
    country: country(input.country, problems),
    phone: phone(input.phone ?? null, problems),
  }
  return { fields, problems }
}

/** The changes asked for, as stored (null clears an optional field), and every field that is wrong. */
export function checkAddressChanges(input: AddressChanges): { changes: Partial<AddressFields>; problems: AddressProblems } {
  const problems: AddressProblems = []
  const changes: Partial<AddressFields> = {}
  if (input.name !== undefined) changes.name = line('name', input.name, true, problems)!
  if (input.line1 !== undefined) changes.line1 = line('line1', input.line1, true, problems)!
  if (input.line2 !== undefined) changes.line2 = line('line2', input.line2, false, problems)
  if (input.city !== undefined) changes.city = line('city', input.city, true, problems)!
  if (input.region !== undefined) changes.region = line('region', input.region, false, problems)
  if (input.postalCode !== undefined) changes.postalCode = postalCode(input.postalCode, problems)
  if (input.country !== undefined) changes.country = country(input.country, problems)
  if (input.phone !== undefined) changes.phone = phone(input.phone, problems)
  return { changes, problems }
}
