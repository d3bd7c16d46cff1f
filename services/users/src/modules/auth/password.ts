/**
 * Passwords: hashed with argon2id (Bun.password, 64 MiB per hash; unknown emails are checked
 * against a dummy hash so that they cost the same time as a wrong password), and judged before
 * they are accepted: 8 to 128 characters as people count them (grapheme clusters, not UTF-16
 * units: four emoji are four characters), not the email, and not guessable: zxcvbn-ts with its
 * maintained dictionary of common and leaked passwords (score 0 or 1 is refused, as "qwerty123"
 * or "password1" would be).
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core'
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common'

export const PASSWORD_MIN_CHARACTERS = 8
export const PASSWORD_MAX_CHARACTERS = 128

export interface PasswordHasher {
  hash(password: string): Promise<string>
  verify(password: string, hash: string): Promise<boolean>
  /** Spends the time of a verification without a real hash. */
  verifyDummy(password: string): Promise<false>
}

export async function createPasswordHasher(): Promise<PasswordHasher> {
  const options = { algorithm: 'argon2id', memoryCost: 65536, timeCost: 2 } as const
  const dummy = await Bun.password.hash(crypto.randomUUID(), options)
  return {
    hash: (password) => Bun.password.hash(password, options),
    verify: (password, hash) => Bun.password.verify(password, hash),
    async verifyDummy(password) {
      await Bun.password.verify(password, dummy)
      return false
    },
  }
}

import { characterCount } from '@shop/shared/domain/text'

/** Built once: the dictionaries take about 20 ms to load; a check takes a few ms. */
let strength: ZxcvbnFactory | undefined
const estimator = () => (strength ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs }))

/** Why `password` is refused, or undefined. `email` and `name` count as words an attacker knows. */
export function passwordWeakness(password: string, email: string, name?: string): string | undefined {
  const length = characterCount(password)
  if (length < PASSWORD_MIN_CHARACTERS || length > PASSWORD_MAX_CHARACTERS)
    return `must be ${PASSWORD_MIN_CHARACTERS} to ${PASSWORD_MAX_CHARACTERS} characters`
  const lower = password.toLowerCase()
  if (lower === email.toLowerCase() || lower === email.split('@')[0]?.toLowerCase()) return 'must not be your email address'
  const userInputs = [email, email.split('@')[0] ?? '', ...(name ? [name] : [])]
  if (estimator().check(password, userInputs).score < 2)
    return 'is too common or too easy to guess (it is on lists of leaked passwords, or a simple pattern); choose a longer, less guessable password'
  return undefined
}
