import { describe, expect, it } from 'vitest'
import type { ApiCredential } from '@mintreu/contracts'
import { attachBody, credentialChange, credentialDraft, credentialFormErrors, credentialHintText, credentialsByLicense } from './useApiCredentials'

const credential: ApiCredential = {
  id: 'crd_1', licenseId: 'lic_1', productId: 'prd_1', productTitle: 'Partner Maps API', label: 'Production', hint: '5678',
  accountUrl: 'https://partner.test/account', externalUserId: null, createdAt: '2026-01-02T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z',
}

describe('attachBody', () => {
  it('trims and leaves out empty optional fields', () => {
    expect(attachBody('lic_1', { ...credentialDraft(), label: ' Prod ', apiKey: ' pk_1234567890ab ', apiSecret: '', accountUrl: ' ', externalUserId: 'acct_9' }))
      .toEqual({ licenseId: 'lic_1', label: 'Prod', apiKey: 'pk_1234567890ab', externalUserId: 'acct_9' })
  })
})

describe('credentialChange', () => {
  it('starts from the stored label and links, never a secret, and sends nothing when nothing changed', () => {
    const draft = credentialDraft(credential)
    expect(draft).toEqual({ label: 'Production', apiKey: '', apiSecret: '', removeSecret: false, accountUrl: 'https://partner.test/account', externalUserId: '' })
    expect(credentialChange(credential, draft)).toBeNull()
  })
  it('replaces the key or the secret only when one is typed, and removes the secret on request', () => {
    const draft = credentialDraft(credential)
    expect(credentialChange(credential, { ...draft, apiKey: 'pk_new_key_0001' })).toEqual({ apiKey: 'pk_new_key_0001' })
    expect(credentialChange(credential, { ...draft, apiSecret: 'sk_new' })).toEqual({ apiSecret: 'sk_new' })
    expect(credentialChange(credential, { ...draft, apiSecret: 'ignored', removeSecret: true })).toEqual({ apiSecret: null })
  })
  it('clears optional fields with null', () => {
    expect(credentialChange(credential, { ...credentialDraft(credential), accountUrl: '', externalUserId: 'acct_1' })).toEqual({ accountUrl: null, externalUserId: 'acct_1' })
  })
})

describe('credentialFormErrors', () => {
  it('checks a new credential with the contract: a label, a key, an http(s) account URL', () => {
    expect(credentialFormErrors('lic_1', credentialDraft(), null).map(e => e.name).sort()).toEqual(['apiKey', 'label'])
    const errors = credentialFormErrors('lic_1', { ...credentialDraft(), label: 'x', apiKey: 'y', accountUrl: 'javascript:alert(1)' }, null)
    expect(errors.map(e => e.name)).toEqual(['accountUrl'])
    expect(credentialFormErrors('lic_1', { ...credentialDraft(), label: 'x', apiKey: 'y', accountUrl: 'https://ok.test' }, null)).toEqual([])
  })
  it('lets a replacement leave the key empty (kept) but not the label', () => {
    expect(credentialFormErrors('lic_1', credentialDraft(credential), credential)).toEqual([])
    expect(credentialFormErrors('lic_1', { ...credentialDraft(credential), label: ' ' }, credential).map(e => e.name)).toEqual(['label'])
  })
})

describe('lists', () => {
  it('groups by licence, newest first, and hints with dots', () => {
    const older = { ...credential, id: 'crd_0', createdAt: '2025-12-01T00:00:00.000Z' }
    const other = { ...credential, id: 'crd_2', licenseId: 'lic_2' }
    const grouped = credentialsByLicense([older, other, credential])
    expect(grouped.get('lic_1')!.map(c => c.id)).toEqual(['crd_1', 'crd_0'])
    expect(grouped.get('lic_2')!.map(c => c.id)).toEqual(['crd_2'])
    expect(credentialHintText('5678')).toBe('••••5678')
    expect(credentialHintText('')).toBe('••••')
  })
})
