/**
 * Money in the UI: what the user types is parsed as text into integer minor units (never through
 * a float), and minor units are formatted back with the currency's own number of decimals.
 */

/** Decimal places of a currency's minor unit (ISO 4217); 2 unless listed. */
export function minorDigits(currency: string): number {
  return { JPY: 0, KRW: 0, ISK: 0, CLP: 0, VND: 0, BHD: 3, KWD: 3, OMR: 3, JOD: 3, TND: 3 }[currency] ?? 2
}

export type ParseResult = { ok: true; minor: number } | { ok: false; error: string }

/**
 * "12", "12.5", "12,50", " 1 234.56 " → minor units. Refuses negatives, more decimals than the
 * currency has, and anything that is not a plain number.
 */
export function parseAmount(text: string, currency: string): ParseResult {
  const digits = minorDigits(currency)
  const cleaned = text.trim().replace(/[\s\u00a0']/g, '')
  if (cleaned === '') return { ok: false, error: 'Enter an amount' }
  if (cleaned.startsWith('-')) return { ok: false, error: 'The amount must be positive' }
  const match = /^(\d+)(?:[.,](\d*))?$/.exec(cleaned)
  if (!match) return { ok: false, error: 'Enter a number like 12.50' }
  const whole = match[1]!.replace(/^0+(?=\d)/, '')
  const fraction = match[2] ?? ''
  if (fraction.length > digits)
    return { ok: false, error: digits === 0 ? `${currency} has no decimals` : `At most ${digits} decimals` }
  const minorText = whole + fraction.padEnd(digits, '0')
  if (minorText.length > 15) return { ok: false, error: 'That amount is too large' }
  const minor = Number(minorText)
  if (minor <= 0) return { ok: false, error: 'The amount must be positive' }
  return { ok: true, minor }
}

/** 123456 EUR → "1,234.56 EUR" style text, in the user's locale. Integer arithmetic only. */
export function formatMoney(minor: number, currency: string, locale?: string): string {
  const digits = minorDigits(currency)
  const negative = minor < 0
  const abs = Math.abs(minor)
  const unit = 10 ** digits
  const whole = Math.trunc(abs / unit)
  const fraction = String(abs % unit).padStart(digits, '0')
  const format = new Intl.NumberFormat(locale, { useGrouping: true })
  const decimal = new Intl.NumberFormat(locale).formatToParts(1.1).find((p) => p.type === 'decimal')?.value ?? '.'
  const text = digits > 0 ? `${format.format(whole)}${decimal}${fraction}` : format.format(whole)
  return `${negative ? '−' : ''}${text} ${currency}`
}

/**
 * A price for shoppers, in the locale's own currency format ("€12.99", "12,99 €"): display only,
 * from integer minor units (the division is exact enough for the few decimals a currency has).
 */
export function formatPrice(minor: number, currency: string, locale?: string): string {
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(minor / 10 ** minorDigits(currency))
  } catch {
    return formatMoney(minor, currency, locale)
  }
}
