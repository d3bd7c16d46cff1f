import { t } from 'elysia'
import { PageQuery } from '@shop/shared/http/pagination'

/** A user as clients see it: never the password hash. */
export const User = t.Object({
  id: t.String({ format: 'uuid' }),
  email: t.String(),
  name: t.String(),
  role: t.Union([t.Literal('customer'), t.Literal('admin')]),
  createdAt: t.String({ format: 'date-time' }),
  updatedAt: t.String({ format: 'date-time' }),
})
export type User = typeof User.static

// Surrounding spaces and capitals are allowed here and normalised away by the service.
export const Email = t.String({
  pattern: '^\\s*[^\\s@]+@[^\\s@]+\\.[^\\s@]+\\s*$',
  maxLength: 254,
  error: 'must be a valid email address',
})
// 8 to 128 characters as people count them (checked in password.ts); in UTF-16 units a character
// may take up to four, hence the schema's wider bound.
export const Password = t.String({
  minLength: 8,
  maxLength: 512,
  error: 'must be 8 to 128 characters',
})
export const Name = t.String({ minLength: 1, maxLength: 100, error: 'must be 1 to 100 characters' })

export const UpdateMe = t.Object(
  {
    name: t.Optional(Name),
    email: t.Optional(Email),
    password: t.Optional(Password),
    /** Required to change the email or the password. */
    currentPassword: t.Optional(t.String({ maxLength: 512 })),
  },
  // Something to change: an empty object (or a body that is not one) is a 422, not a silent 200.
  { additionalProperties: false, minProperties: 1, error: 'must be an object with at least one of name, email, password' },
)
export type UpdateMe = typeof UpdateMe.static

export const UserIdParams = t.Object({ id: t.String({ format: 'uuid', error: 'must be a UUID' }) })

/** A row of the admin user list. */
export const UserListItem = t.Object({
  id: t.String({ format: 'uuid' }),
  email: t.String(),
  name: t.String(),
  role: t.Union([t.Literal('customer'), t.Literal('admin')]),
  createdAt: t.String({ format: 'date-time' }),
})
export type UserListItem = typeof UserListItem.static

export const UserListQuery = t.Object({
  /** Email or name starts with this, in any case; %, _ and a backslash are plain characters. */
  q: t.Optional(t.String({ maxLength: 254, error: 'must be at most 254 characters' })),
  ...PageQuery.properties,
})
export type UserListQuery = typeof UserListQuery.static
