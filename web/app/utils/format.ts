// Formatters are built on first use: each costs milliseconds on a phone, and importing this file (every page
// does) should not pay for the ones the page never shows.
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

export function formatNumber(value: number | null | undefined): string {
  return typeof value === 'number' ? number().format(value) : '—'
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
