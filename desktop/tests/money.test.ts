import { describe, expect, test } from 'bun:test'
import { formatMoney, minorDigits, parseAmount } from '../src/renderer/money.ts'

const minor = (text: string, currency = 'EUR') => {
  const result = parseAmount(text, currency)
  return result.ok ? result.minor : result.error
}

describe('parseAmount (decimal text → integer minor units)', () => {
  test.each([
    ['12', 1200],
    ['12.5', 1250],
    ['12,50', 1250],
    ['0.10', 10],
    ['0.01', 1],
    ['19.99', 1999],
    [' 1 234.56 ', 123456],
    ['007.70', 770],
    ['1.', 100],
  ])('%p → %p', (text, expected) => expect(minor(text)).toBe(expected))

  test('no float drift: values that floats get wrong are exact', () => {
    // 0.1 + 0.2 and 1.005 * 100 are the classic float traps; text parsing never meets them.
    expect(minor('0.30')).toBe(30)
    expect(minor('1.15')).toBe(115)
    expect(minor('4.35')).toBe(435)
    expect(minor('8.20')).toBe(820)
    for (let cents = 0; cents < 10_000; cents++) {
      const text = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`
      if (cents > 0) expect(minor(text)).toBe(cents)
    }
  })

  test('currencies without or with three decimals', () => {
    expect(minorDigits('JPY')).toBe(0)
    expect(minor('1500', 'JPY')).toBe(1500)
    expect(minor('15.5', 'JPY')).toBe('JPY has no decimals')
    expect(minor('1.234', 'KWD')).toBe(1234)
  })

  test.each([
    ['', 'Enter an amount'],
    ['-5', 'The amount must be positive'],
    ['0', 'The amount must be positive'],
    ['0.00', 'The amount must be positive'],
    ['12.345', 'At most 2 decimals'],
    ['1e3', 'Enter a number like 12.50'],
    ['12.5.0', 'Enter a number like 12.50'],
    ['abc', 'Enter a number like 12.50'],
    ['1,234.56', 'Enter a number like 12.50'],
    ['99999999999999', 'That amount is too large'],
  ])('%p is refused: %p', (text, error) => expect(minor(text)).toBe(error))
})

describe('formatMoney (integer minor units → text)', () => {
  test('the locale\'s currency format, with the currency\'s decimals', () => {
    expect(formatMoney(1999, 'EUR', 'en-US')).toBe('€19.99')
    expect(formatMoney(5, 'EUR', 'en-US')).toBe('€0.05')
    expect(formatMoney(-4250, 'EUR', 'en-US')).toBe('-€42.50')
    expect(formatMoney(123456789, 'USD', 'en-US')).toBe('$1,234,567.89')
    expect(formatMoney(1500, 'JPY', 'en-US')).toBe('¥1,500')
    expect(formatMoney(1999, 'EUR', 'de-DE')).toBe('19,99\u00a0€')
    expect(formatMoney(1234, 'BHD', 'en-US')).toBe('BHD\u00a01.234')
  })

  test('exact beyond a float\'s cents: integer arithmetic and a decimal string, never a division', () => {
    // The largest safe integer: divided as a float it would print …409.90.
    expect(formatMoney(Number.MAX_SAFE_INTEGER, 'EUR', 'en-US')).toBe('€90,071,992,547,409.91')
  })

  test('a code Intl does not know is written after the amount', () => {
    expect(formatMoney(1999, 'XQZ1', 'en-US')).toBe('19.99 XQZ1')
  })

  test('round-trips with parseAmount', () => {
    for (const value of [1, 10, 99, 100, 1999, 250000, 987654321]) {
      const text = formatMoney(value, 'EUR', 'en-US').replace('€', '').replaceAll(',', '')
      expect(minor(text)).toBe(value)
    }
  })
})
