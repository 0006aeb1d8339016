import { describe, expect, it } from 'vitest'
import { activationSnippets, activationTarget, rateLimitNextAt, relativeTime, releaseBudgetText, seatMeter } from './useLicenses'

describe('seatMeter', () => {
  it('fills a meter for limited licences', () => {
    expect(seatMeter({ usageCount: 2, maxUsage: 5 })).toMatchObject({ used: 2, total: 5, percent: 40, full: false, color: 'primary', label: '2 of 5' })
  })
  it('warns when the last seat is taken, and caps an over-full meter (seats lowered below what is in use)', () => {
    expect(seatMeter({ usageCount: 1, maxUsage: 1 })).toMatchObject({ percent: 100, full: true, color: 'warning' })
    expect(seatMeter({ usageCount: 7, maxUsage: 5 })).toMatchObject({ percent: 100, full: true, color: 'error', label: '7 of 5' })
    expect(seatMeter({ usageCount: 0, maxUsage: 0 })).toMatchObject({ percent: 100, full: true })
  })
  it('has nothing to fill for unlimited licences', () => {
    expect(seatMeter({ usageCount: 1234, maxUsage: null })).toMatchObject({ total: null, percent: null, full: false, label: '1,234 · unlimited' })
  })
})

describe('release budget', () => {
  const now = Date.parse('2027-01-01T12:00:00Z')
  it('says how many releases are left in the window', () => {
    expect(releaseBudgetText({ limit: 3, remaining: 2, windowHours: 24, nextAt: null }, now)).toBe('2 of 3 releases left in any 24 hours.')
    expect(releaseBudgetText({ limit: 1, remaining: 1, windowHours: 1, nextAt: null }, now)).toBe('1 of 1 release left in any hour.')
  })
  it('says when the next one frees up once none is left', () => {
    expect(releaseBudgetText({ limit: 3, remaining: 0, windowHours: 24, nextAt: '2027-01-01T12:20:00Z' }, now))
      .toBe('0 of 3 releases left in any 24 hours; the next one frees up in 20 minutes.')
  })
  it('reads nextAt from a RATE_LIMITED error', () => {
    expect(rateLimitNextAt({ nextAt: '2027-01-01T15:00:00Z' })).toBe('2027-01-01T15:00:00Z')
    expect(rateLimitNextAt({ nextAt: 'soon' })).toBeNull()
    expect(rateLimitNextAt(null)).toBeNull()
    expect(rateLimitNextAt([])).toBeNull()
  })
  it('puts times in words', () => {
    expect(relativeTime('2027-01-01T12:00:30Z', now)).toBe('in 1 minute')
    expect(relativeTime('2027-01-01T15:00:00Z', now)).toBe('in 3 hours')
    expect(relativeTime('2027-01-05T12:00:00Z', now)).toBe('on 5 Jan 2027, 12:00 UTC')
    expect(relativeTime('2026-12-31T12:00:00Z', now)).toBe('now')
  })
})

describe('activationTarget', () => {
  it('prefers the domain, then the machine', () => {
    expect(activationTarget({ domain: 'shop.example.com', fingerprint: 'abc' })).toEqual({ kind: 'domain', value: 'shop.example.com' })
    expect(activationTarget({ domain: null, fingerprint: 'abc' })).toEqual({ kind: 'machine', value: 'abc' })
    expect(activationTarget({ domain: null, fingerprint: null })).toEqual({ kind: 'none', value: '—' })
  })
})

describe('activationSnippets', () => {
  it('builds curl commands with the origin, the key and the product, quoted for the shell', () => {
    const snippets = activationSnippets('https://shop.example.com/', { key: 'ABCD-EFGH-JKLM-NPQR', productSlug: "o'brien-kit" })
    expect(snippets.activate).toContain('curl -X POST https://shop.example.com/api/licenses/activate \\')
    expect(snippets.validate).toContain('https://shop.example.com/api/licenses/validate')
    expect(snippets.publicKey).toBe('curl https://shop.example.com/api/licenses/public-key')
    // The JSON body survives the shell: the quote in the slug is closed, escaped and reopened.
    const body = snippets.activate.split('-d ')[1]!
    const unquoted = body.slice(1, -1).replace(/'\\''/g, "'")
    expect(JSON.parse(unquoted)).toMatchObject({ key: 'ABCD-EFGH-JKLM-NPQR', productSlug: "o'brien-kit", name: 'My laptop' })
  })
})
