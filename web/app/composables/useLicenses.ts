// The buyer's licences and the API keys their purchases issued (API.md "Licences", "API products and keys").
import type { ApiKey, License, LicenseActivation, LicenseStatus, ProductSource } from '@mintreu/contracts'
import type { Paginated } from '~/types/api'
import { formatDate, formatDateTime, formatNumber } from '../utils/format'

export type { ApiKey, License, LicenseActivation, LicenseStatus }

/** What a licence modal shows per licence: the licence, and the API key the same order item issued (if any). */
export interface LicenseGrant {
  licenseId: string
  apiKeyId?: string | null
  /** Already loaded (the licences page), so the modal does not fetch it again. */
  license?: License | null
}

/** The answer to "release every activation": where the confirmation link went and until when it works. */
export interface ReleaseAllRequest {
  sentTo: string
  expiresAt: string
}

/** The licences an order granted, with the API key each API item issued. */
export function grantsOf(order: { items: { licenseId: string | null; apiKeyId: string | null }[] }): LicenseGrant[] {
  return order.items.flatMap(item => (item.licenseId ? [{ licenseId: item.licenseId, apiKeyId: item.apiKeyId }] : []))
}

const enc = encodeURIComponent

export function useLicenses() {
  const api = useApi()
  return {
    list: (query: { page?: number; perPage?: number } = {}) => api<Paginated<License>>('/api/licenses', { query }),
    get: (id: string) => api<License>(`/api/licenses/${enc(id)}`),
    /** Frees one seat; 429 RATE_LIMITED (with `details.nextAt`) once the window's releases are used up. */
    releaseActivation: (id: string, activationId: string) =>
      api<License>(`/api/licenses/${enc(id)}/activations/${enc(activationId)}/release`, { method: 'POST', body: {} }),
    /** Emails the owner a link that confirms releasing every activation. */
    requestReleaseAll: (id: string) =>
      api<ReleaseAllRequest>(`/api/licenses/${enc(id)}/activations/release-all`, { method: 'POST', body: {} }),
    confirmReleaseAll: (id: string, token: string) =>
      api<License>(`/api/licenses/${enc(id)}/activations/release-all/confirm`, { method: 'POST', body: { token } }),
    /** The product's files (name, version, size, SHA-256), never their location. */
    productFiles: (slug: string) => api<{ data: ProductSource[] }>(`/api/products/${enc(slug)}/sources`),
    apiKeys: () => api<{ data: ApiKey[] }>('/api/api-keys'),
    /** The full key of an API key a purchase issued, once; 410 GONE after that. */
    revealApiKey: (id: string) => api<{ key: string }>(`/api/api-keys/${enc(id)}/reveal`, { method: 'POST', body: {} }),
  }
}

type BadgeColor = 'neutral' | 'primary' | 'success' | 'warning' | 'error' | 'info'

export const licenseStatusInfo: Record<LicenseStatus, { label: string; color: BadgeColor; icon: string; description: string }> = {
  active: { label: 'Active', color: 'success', icon: 'i-lucide-circle-check', description: 'The licence works.' },
  disabled: { label: 'Suspended', color: 'warning', icon: 'i-lucide-pause', description: 'Suspended by the seller; contact support.' },
  expired: { label: 'Expired', color: 'neutral', icon: 'i-lucide-calendar-x', description: 'The licence has passed its expiry date.' },
  usage_limit: { label: 'All activations used', color: 'warning', icon: 'i-lucide-gauge', description: 'Every activation is in use; release one to use it elsewhere.' },
  revoked: { label: 'Revoked', color: 'error', icon: 'i-lucide-circle-x', description: 'Revoked by the seller (after a refund, a dispute or a review): it cannot be used again.' },
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

/**
 * Seats as a meter shows them: `percent` is null for unlimited licences (nothing to fill), capped at 100 when an
 * admin lowered the seats below what is in use; `color` warns when the last seat is taken.
 */
export function seatMeter(license: Pick<License, 'usageCount' | 'maxUsage'>): {
  used: number
  total: number | null
  percent: number | null
  full: boolean
  color: 'primary' | 'warning' | 'error'
  label: string
} {
  const used = Math.max(0, license.usageCount)
  const total = license.maxUsage
  if (total === null) return { used, total, percent: null, full: false, color: 'primary', label: `${formatNumber(used)} · unlimited` }
  const full = used >= total
  const percent = total === 0 ? 100 : Math.min(100, Math.round((used / total) * 100))
  return { used, total, percent, full, color: used > total ? 'error' : full ? 'warning' : 'primary', label: `${formatNumber(used)} of ${formatNumber(total)}` }
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

/** What an activation is bound to, for people: the domain, else the machine's fingerprint. */
export function activationTarget(activation: Pick<LicenseActivation, 'domain' | 'fingerprint'>): { kind: 'domain' | 'machine' | 'none'; value: string } {
  if (activation.domain) return { kind: 'domain', value: activation.domain }
  if (activation.fingerprint) return { kind: 'machine', value: activation.fingerprint }
  return { kind: 'none', value: '—' }
}

/**
 * The self-service release budget in words: "2 of 3 releases left in any 24 hours", and when none is left,
 * when the next one frees up.
 */
export function releaseBudgetText(releases: License['releases'], now = Date.now()): string {
  const window = releases.windowHours === 1 ? 'hour' : `${formatNumber(releases.windowHours)} hours`
  const left = `${formatNumber(releases.remaining)} of ${formatNumber(releases.limit)} ${releases.limit === 1 ? 'release' : 'releases'} left in any ${window}`
  if (releases.remaining > 0 || !releases.nextAt) return `${left}.`
  return `${left}; the next one frees up ${relativeTime(releases.nextAt, now)}.`
}

/** "in 5 minutes", "in 3 hours", or the date and time when it is further off (or passed: "now"). */
export function relativeTime(iso: string, now = Date.now()): string {
  const at = new Date(iso).getTime()
  if (Number.isNaN(at)) return iso
  const minutes = Math.ceil((at - now) / 60_000)
  if (minutes <= 0) return 'now'
  if (minutes < 60) return `in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`
  const hours = Math.round(minutes / 60)
  if (hours <= 48) return `in ${hours} ${hours === 1 ? 'hour' : 'hours'}`
  return `on ${formatDateTime(iso)}`
}

/** When a RATE_LIMITED answer says the next release frees up (`details.nextAt`), if it says so. */
export function rateLimitNextAt(details: unknown): string | null {
  if (typeof details !== 'object' || details === null) return null
  const nextAt = (details as { nextAt?: unknown }).nextAt
  return typeof nextAt === 'string' && !Number.isNaN(new Date(nextAt).getTime()) ? nextAt : null
}

/** Single-quotes a value for a POSIX shell (curl examples people paste). */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

/**
 * The curl commands installed software would send, with this site's origin, the key and the product: activate
 * (bound to a machine fingerprint or a domain) and validate (with the instance id activate returned).
 */
export function activationSnippets(origin: string, license: Pick<License, 'key' | 'productSlug'>): { activate: string; validate: string; publicKey: string } {
  const base = origin.replace(/\/+$/, '')
  const curl = (path: string, body: Record<string, string>) => [
    `curl -X POST ${base}${path} \\`,
    `  -H 'content-type: application/json' \\`,
    `  -d ${shellQuote(JSON.stringify(body))}`,
  ].join('\n')
  return {
    activate: curl('/api/licenses/activate', { key: license.key, name: 'My laptop', fingerprint: '<machine id>', productSlug: license.productSlug }),
    validate: curl('/api/licenses/validate', { key: license.key, instanceId: '<instance.id from activate>', fingerprint: '<machine id>', productSlug: license.productSlug }),
    publicKey: `curl ${base}/api/licenses/public-key`,
  }
}
