import { describe, expect, it } from 'vitest'
import type { AdminLicenseActivation } from '@mintreu/contracts'
import { endOfDayUtc, holderOf, limitsChange, sortActivations, utcDay, validationCodeInfo } from './useAdminLicenses'

const activation = (id: string, createdAt: string, releasedAt: string | null = null): AdminLicenseActivation => ({
  id, name: id, fingerprint: 'fp', domain: null, createdAt, lastValidatedAt: null, usesSeat: true, ip: null, releasedAt,
  releasedBy: releasedAt ? 'owner' : null,
})

describe('limitsChange', () => {
  const license = { maxUsage: 5, expiresAt: '2027-03-31T23:59:59.999Z' }
  const same = { unlimited: false, maxUsage: 5, neverExpires: false, expiresOn: '2027-03-31' }
  it('sends nothing when nothing changed (the same day counts as unchanged)', () => {
    expect(limitsChange(license, same)).toBeNull()
    expect(limitsChange({ ...license, expiresAt: '2027-03-31T10:00:00.000Z' }, same)).toBeNull()
  })
  it('sends only what changed', () => {
    expect(limitsChange(license, { ...same, maxUsage: 2 })).toEqual({ maxUsage: 2 })
    expect(limitsChange(license, { ...same, unlimited: true })).toEqual({ maxUsage: null })
    expect(limitsChange(license, { ...same, neverExpires: true })).toEqual({ expiresAt: null })
    expect(limitsChange(license, { ...same, expiresOn: '2027-04-30' })).toEqual({ expiresAt: '2027-04-30T23:59:59.999Z' })
  })
  it('keeps the seats when the number is cleared (unlimited is its own box)', () => {
    expect(limitsChange(license, { ...same, maxUsage: null })).toBeNull()
  })
  it('sets an expiry on a licence that had none', () => {
    expect(limitsChange({ maxUsage: null, expiresAt: null }, { unlimited: true, maxUsage: null, neverExpires: false, expiresOn: '2028-01-01' }))
      .toEqual({ expiresAt: '2028-01-01T23:59:59.999Z' })
  })
})

describe('days', () => {
  it('turns a picked day into the end of that UTC day and back', () => {
    expect(endOfDayUtc('2027-02-28')).toBe('2027-02-28T23:59:59.999Z')
    expect(endOfDayUtc('28/02/2027')).toBeNull()
    expect(endOfDayUtc('2027-02-31')).toBeNull()
    expect(utcDay('2027-02-28T23:59:59.999Z')).toBe('2027-02-28')
    expect(utcDay(null)).toBe('')
  })
})

describe('sortActivations', () => {
  it('puts live ones first, newest first, then released ones, latest release first', () => {
    const sorted = sortActivations([
      activation('old-live', '2027-01-01T00:00:00Z'),
      activation('released-early', '2027-01-02T00:00:00Z', '2027-01-03T00:00:00Z'),
      activation('new-live', '2027-01-05T00:00:00Z'),
      activation('released-late', '2026-12-01T00:00:00Z', '2027-01-04T00:00:00Z'),
    ])
    expect(sorted.map(a => a.id)).toEqual(['new-live', 'old-live', 'released-late', 'released-early'])
  })
})

describe('holderOf and validationCodeInfo', () => {
  it('names the account, or the email the licence waits for', () => {
    expect(holderOf({ user: { id: 'u', name: 'Jane', email: 'j@example.com' }, email: null })).toEqual({ name: 'Jane', email: 'j@example.com', hasAccount: true })
    expect(holderOf({ user: null, email: 'new@example.com' })).toEqual({ name: 'new@example.com', email: 'new@example.com', hasAccount: false })
  })
  it('labels outcome codes, and unknown ones readably', () => {
    expect(validationCodeInfo('VALID')).toEqual({ label: 'Valid', color: 'success' })
    expect(validationCodeInfo('REVOKED').color).toBe('error')
    expect(validationCodeInfo('SOMETHING_NEW')).toEqual({ label: 'Something new', color: 'neutral' })
  })
})
