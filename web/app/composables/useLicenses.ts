// The buyer's licences and the API keys their purchases issued (API.md "Licences", "API products and keys").
import type { ApiKey, License, LicenseStatus } from '@mintreu/contracts'
import type { Paginated } from '~/types/api'

export type { ApiKey, License, LicenseStatus }

/** What a licence modal shows per licence: the licence, and the API key the same order item issued (if any). */
export interface LicenseGrant {
  licenseId: string
  apiKeyId?: string | null
  /** Already loaded (the licences page), so the modal does not fetch it again. */
  license?: License | null
}

/** The licences an order granted, with the API key each API item issued. */
export function grantsOf(order: { items: { licenseId: string | null; apiKeyId: string | null }[] }): LicenseGrant[] {
  return order.items.flatMap(item => (item.licenseId ? [{ licenseId: item.licenseId, apiKeyId: item.apiKeyId }] : []))
}

export function useLicenses() {
  const api = useApi()
  return {
    list: (query: { page?: number; perPage?: number } = {}) => api<Paginated<License>>('/api/licenses', { query }),
    get: (id: string) => api<License>(`/api/licenses/${encodeURIComponent(id)}`),
    apiKeys: () => api<{ data: ApiKey[] }>('/api/api-keys'),
    /** The full key of an API key a purchase issued, once; 410 GONE after that. */
    revealApiKey: (id: string) => api<{ key: string }>(`/api/api-keys/${encodeURIComponent(id)}/reveal`, { method: 'POST', body: {} }),
  }
}

type BadgeColor = 'neutral' | 'primary' | 'success' | 'warning' | 'error' | 'info'

export const licenseStatusInfo: Record<LicenseStatus, { label: string; color: BadgeColor; icon: string; description: string }> = {
  active: { label: 'Active', color: 'success', icon: 'i-lucide-circle-check', description: 'The licence works.' },
  disabled: { label: 'Suspended', color: 'warning', icon: 'i-lucide-pause', description: 'Suspended by the seller; contact support.' },
  expired: { label: 'Expired', color: 'neutral', icon: 'i-lucide-calendar-x', description: 'The licence has passed its expiry date.' },
  usage_limit: { label: 'All activations used', color: 'warning', icon: 'i-lucide-gauge', description: 'Every activation is in use; release one to use it elsewhere.' },
  revoked: { label: 'Revoked', color: 'error', icon: 'i-lucide-circle-x', description: 'Revoked after a refund or dispute.' },
}

/** "1 activation", "5 activations", "Unlimited activations". */
export function activationLimitLabel(maxUsage: number | null): string {
  if (maxUsage === null) return 'Unlimited activations'
  return `${formatNumber(maxUsage)} ${maxUsage === 1 ? 'activation' : 'activations'}`
}

/** "2 of 5 used", "3 used" (unlimited). */
export function usageLabel(license: Pick<License, 'usageCount' | 'maxUsage'>): string {
  return license.maxUsage === null
    ? `${formatNumber(license.usageCount)} used`
    : `${formatNumber(license.usageCount)} of ${formatNumber(license.maxUsage)} used`
}

export function expiryLabel(expiresAt: string | null): string {
  return expiresAt ? `Expires ${formatDate(expiresAt)}` : 'Never expires'
}

/** "ABCD-EFGH-JKLM-NPQR" → "••••-••••-••••-NPQR": enough to tell keys apart, not enough to use one. */
export function maskKey(key: string): string {
  const groups = key.split('-')
  return groups.map((group, i) => (i === groups.length - 1 ? group : '•'.repeat(group.length))).join('-')
}

/** Whether a licence's order item was an API product (its key lives in the API keys list). */
export function isApiLicense(license: Pick<License, 'type'>): boolean {
  return license.type === 'api_subscription'
}
