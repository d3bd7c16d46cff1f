/**
 * Which ISO 3166-1 alpha-2 codes exist: the list of i18n-iso-countries (pinned exactly in
 * package.json), a package kept up to date with ISO's changes and used by millions of projects a
 * month, rather than a copy here that nobody updates. Its 250 codes are ISO's 249 and XK (Kosovo:
 * user-assigned by ISO, used by the EU and by carriers). Only the codes are read; its `isValid`
 * is not used because it also accepts alpha-3 codes and any case.
 */
import { getAlpha2Codes } from 'i18n-iso-countries'

const CODES: ReadonlySet<string> = new Set(Object.keys(getAlpha2Codes()))

/** Whether `code` is an assigned alpha-2 code, exactly as written (capitals only). */
export function isCountryCode(code: string): boolean {
  return CODES.has(code)
}
