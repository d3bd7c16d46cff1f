import { Type, type TLiteral } from '@sinclair/typebox'

/** One literal schema per value of a constant list, as a tuple (so a union of them has the list's type). */
export const literals = <const T extends readonly string[]>(values: T) => values.map((v) => Type.Literal(v)) as { -readonly [K in keyof T]: TLiteral<T[K]> }
