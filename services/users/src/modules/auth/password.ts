/**
 * Password hashing with argon2id (Bun.password, 64 MiB per hash). Unknown emails are checked
 * against a dummy hash so that they cost the same time as a wrong password.
 */

const POLICY_WORDS = ['password', '12345678', '123456789', 'qwertyui', 'iloveyou', '11111111', 'abcdefgh', 'letmein1']

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

/** Why `password` is refused beyond the length rule (which the schema checks), or undefined. */
export function passwordWeakness(password: string, email: string): string | undefined {
  const lower = password.toLowerCase()
  if (lower === email.toLowerCase() || lower === email.split('@')[0]?.toLowerCase())
    return 'must not be your email address'
  if (POLICY_WORDS.some((w) => lower.startsWith(w)) || /^(.)\1+$/.test(password))
    return 'is too common; choose a longer, less guessable password'
  return undefined
}
