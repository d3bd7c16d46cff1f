import { t } from 'elysia'
import { Email, Name, Password } from '../users/model.ts'

export const Register = t.Object({ email: Email, password: Password, name: Name }, { additionalProperties: false })
export type Register = typeof Register.static

export const Login = t.Object(
  { email: t.String({ maxLength: 254, minLength: 1, error: 'is required' }), password: t.String({ maxLength: 512, minLength: 1, error: 'is required' }) },
  { additionalProperties: false },
)

export const RefreshBody = t.Object(
  { refreshToken: t.String({ minLength: 20, maxLength: 200, error: 'must be a refresh token' }) },
  { additionalProperties: false },
)

export const Tokens = t.Object({
  accessToken: t.String(),
  refreshToken: t.String(),
  tokenType: t.Literal('Bearer'),
  /** Seconds until the access token expires. */
  expiresIn: t.Integer(),
})
export type Tokens = typeof Tokens.static
