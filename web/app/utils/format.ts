// Intl formatters are built on first use: the first one a page creates loads locale data (tens of milliseconds on
// a phone, in the middle of hydration), and importing this file (every page does) should not pay for the ones the
// page never shows. Whole numbers, the common case, are grouped without Intl at all.
function lazy<T>(make: () => T): () => T {
  let value: T | undefined
  return () => (value ??= make())
}
const dateTime = lazy(() => new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }))
const dateOnly = lazy(() => new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' }))
const number = lazy(() => new Intl.NumberFormat('en-GB'))

/** Timestamps are shown in UTC so server and browser render the same text. */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '—'
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? value : `${dateTime().format(date)} UTC`
}

export function formatDate(value: string | null | undefined): string {
  if (!value) return '—'
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? value : dateOnly().format(date)
}

/**
 * Digits of a non-negative whole number in groups: "1234567" → "1,234,567", or the Indian way
 * ("12,34,567": thousands, then groups of two).
 */
export function groupDigits(digits: string, indian = false): string {
  if (digits.length <= 3) return digits
  const size = indian ? 2 : 3
  const groups = [digits.slice(-3)]
  let rest = digits.slice(0, -3)
  while (rest.length > size) {
    groups.unshift(rest.slice(-size))
    rest = rest.slice(0, -size)
  }
  groups.unshift(rest)
  return groups.join(',')
}

/** 1234567 → "1,234,567" (en-GB); fractions go through Intl. */
export function formatNumber(value: number | null | undefined): string {
  if (typeof value !== 'number') return '—'
  if (Number.isSafeInteger(value)) return `${value < 0 || Object.is(value, -0) ? '-' : ''}${groupDigits(String(Math.abs(value)))}`
  return number().format(value)
}

/** "Chrome on Linux" from a user-agent string, good enough to tell sessions apart. */
export function describeUserAgent(ua: string | null | undefined): string {
  if (!ua) return 'Unknown device'
  const browser = /Edg\//.test(ua) ? 'Edge'
    : /OPR\//.test(ua) ? 'Opera'
      : /Firefox\//.test(ua) ? 'Firefox'
        : /Chrome\/|Chromium\//.test(ua) ? 'Chrome'
          : /Safari\//.test(ua) ? 'Safari'
            : /curl\//.test(ua) ? 'curl'
              : 'Browser'
  const os = /Windows/.test(ua) ? 'Windows'
    : /Android/.test(ua) ? 'Android'
      : /iPhone|iPad/.test(ua) ? 'iOS'
        : /Mac OS X/.test(ua) ? 'macOS'
          : /Linux/.test(ua) ? 'Linux'
            : null
  return os ? `${browser} on ${os}` : browser
}
