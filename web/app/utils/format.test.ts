import { describe, expect, it } from 'vitest'
import { formatMoney, toMajorUnits } from '../composables/useCatalog'
import { formatNumber, groupDigits } from './format'

// The storefront formats whole numbers and rupees without Intl (see format.ts, useCatalog.ts); the text must be
// exactly what Intl renders, on the server and in the browser alike.
const samples = [
  0, 1, 9, 10, 99, 100, 999, 1000, 1001, 9999, 10000, 12345, 99999, 100000, 123456, 999999, 1000000, 1234567,
  12345678, 123456789, 1234567890, 98765432101, 2 ** 53 - 1,
]

describe('formatNumber', () => {
  const intl = new Intl.NumberFormat('en-GB')
  it('groups whole numbers as Intl en-GB does', () => {
    for (const n of [...samples, ...samples.map(n => -n)]) expect(formatNumber(n)).toBe(intl.format(n))
  })
  it('leaves fractions, NaN and non-numbers to Intl or a dash', () => {
    expect(formatNumber(1234.5678)).toBe(intl.format(1234.5678))
    expect(formatNumber(Number.NaN)).toBe(intl.format(Number.NaN))
    expect(formatNumber(null)).toBe('—')
    expect(formatNumber(undefined)).toBe('—')
  })
})

describe('formatMoney in rupees', () => {
  const intl = new Intl.NumberFormat('en-IN', { style: 'currency', currency: 'INR' })
  it('matches Intl en-IN for whole paise amounts', () => {
    // (Up to 10^13 paise: beyond that, Intl's own float division of the amount starts losing paise.)
    const amounts = [...samples, 5, 50, 49900, 499900, 100001, 1234505, 99999999999].filter(n => n < 1e13)
    for (const minor of [...amounts, ...amounts.map(n => -n)]) {
      if (minor === 0) continue
      expect(formatMoney(minor, 'INR')).toBe(intl.format(minor / 100))
    }
  })
  it('says Free for zero and converts to rupees', () => {
    expect(formatMoney(0, 'INR')).toBe('Free')
    expect(toMajorUnits(49900, 'INR')).toBe(499)
    expect(formatMoney(123456, 'USD')).toBe(new Intl.NumberFormat('en-IN', { style: 'currency', currency: 'USD' }).format(1234.56))
  })
})

describe('groupDigits', () => {
  it('groups in threes, or Indian style', () => {
    expect(groupDigits('1234567')).toBe('1,234,567')
    expect(groupDigits('1234567', true)).toBe('12,34,567')
    expect(groupDigits('123')).toBe('123')
  })
})
