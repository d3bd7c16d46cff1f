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

/**
 * Formatters by locale and currency, made once: making one costs about 3 ms here (11 ms at
 * Lighthouse's 4× phone slowdown, where a catalog of 24 cards spent 270 ms on it); using one, microseconds.
 */
const formats = new Map<string, Intl.NumberFormat>()
function currencyFormat(locale: string | undefined, currency: string, digits: number): Intl.NumberFormat {
  const key = `${locale ?? ''}|${currency}`
  let format = formats.get(key)
  if (!format) formats.set(key, (format = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits })))
  return format
}

/**
 * Money for people, in the locale's own currency format ("€1,234.56", "1.234,56 €", "¥1,500"),
 * from integer minor units: the amount goes to Intl as a decimal string built with integer
 * arithmetic, never through a float. A code Intl does not know falls back to "1,234.56 XYZ".
 */
export function formatMoney(minor: number, currency: string, locale?: string): string {
  const digits = minorDigits(currency)
  const negative = minor < 0
  const abs = Math.abs(minor)
  const unit = 10 ** digits
  const whole = Math.trunc(abs / unit)
  const fraction = String(abs % unit).padStart(digits, '0')
  const decimalText = `${negative ? '-' : ''}${whole}${digits > 0 ? `.${fraction}` : ''}`
  try {
    // A decimal string is formatted exactly (Intl.NumberFormat v3); the type says number only.
    return currencyFormat(locale, currency, digits).format(decimalText as unknown as number)
  } catch {
    const format = new Intl.NumberFormat(locale, { useGrouping: true })
    const decimal = new Intl.NumberFormat(locale).formatToParts(1.1).find((p) => p.type === 'decimal')?.value ?? '.'
    const text = digits > 0 ? `${format.format(whole)}${decimal}${fraction}` : format.format(whole)
    return `${negative ? '−' : ''}${text} ${currency}`
  }
}
