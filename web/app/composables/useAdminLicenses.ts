// The admin panel's view of licences (API.md "Licences", admin): list, detail, grant, suspend and reinstate,
// seats and expiry, reset, revoke, releasing activations, and the licence's audit trail.
import type {
  AdminLicense, AdminLicenseActivation, AdminLicenseDetail, AdminLicenseGrant, AdminLicenseGrantResult,
  AdminLicenseListQuery, AdminLicenseUpdate, LicenseValidationSummary,
} from '@mintreu/contracts'
import type { AuditPage, Paginated } from '~/types/api'
import { formatNumber } from '../utils/format'

export type { AdminLicense, AdminLicenseActivation, AdminLicenseDetail, AdminLicenseGrantResult, LicenseValidationSummary }

type BadgeColor = 'primary' | 'secondary' | 'success' | 'info' | 'warning' | 'error' | 'neutral'

/** Who released an activation, in words. */
export const releasedByInfo: Record<NonNullable<AdminLicenseActivation['releasedBy']>, string> = {
  owner: 'by the owner',
  owner_all: 'by the owner (release all)',
  admin: 'by an admin',
  software: 'by the software',
  reset: 'by a usage reset',
}

/** The outcome codes of validations, as a badge (API.md: VALID, NOT_FOUND, DISABLED, …). */
export function validationCodeInfo(code: string): { label: string; color: BadgeColor } {
  switch (code) {
    case 'VALID': return { label: 'Valid', color: 'success' }
    case 'NOT_ACTIVATED': return { label: 'Not activated', color: 'warning' }
    case 'ACTIVATION_LIMIT': return { label: 'Seat limit', color: 'warning' }
    case 'PRODUCT_MISMATCH': return { label: 'Wrong product', color: 'warning' }
    case 'LICENSING_PAUSED': return { label: 'Licensing paused', color: 'neutral' }
    case 'DISABLED': return { label: 'Suspended', color: 'error' }
    case 'REVOKED': return { label: 'Revoked', color: 'error' }
    case 'EXPIRED': return { label: 'Expired', color: 'error' }
    default: return { label: code.replace(/_/g, ' ').toLowerCase().replace(/^./, c => c.toUpperCase()), color: 'neutral' }
  }
}

/** The holder of a licence for people: the account, else the email it waits for. */
export function holderOf(license: Pick<AdminLicense, 'user' | 'email'>): { name: string; email: string | null; hasAccount: boolean } {
  if (license.user) return { name: license.user.name, email: license.user.email, hasAccount: true }
  return { name: license.email ?? 'Nobody', email: license.email, hasAccount: false }
}

/** Live activations first (newest first), then released ones (latest release first). */
export function sortActivations(activations: AdminLicenseActivation[]): AdminLicenseActivation[] {
  const time = (iso: string | null) => (iso ? new Date(iso).getTime() : 0)
  return [...activations].sort((a, b) => {
    if (!a.releasedAt !== !b.releasedAt) return a.releasedAt ? 1 : -1
    return a.releasedAt ? time(b.releasedAt) - time(a.releasedAt) : time(b.createdAt) - time(a.createdAt)
  })
}

/** What a change of seats or expiry sends: only what differs from the licence, or null when nothing does. */
export function limitsChange(
  license: Pick<AdminLicense, 'maxUsage' | 'expiresAt'>,
  draft: { unlimited: boolean; maxUsage: number | null; neverExpires: boolean; expiresOn: string },
): Pick<AdminLicenseUpdate, 'maxUsage' | 'expiresAt'> | null {
  const out: Pick<AdminLicenseUpdate, 'maxUsage' | 'expiresAt'> = {}
  const maxUsage = draft.unlimited ? null : draft.maxUsage ?? license.maxUsage
  if (maxUsage !== license.maxUsage) out.maxUsage = maxUsage
  const expiresAt = draft.neverExpires || !draft.expiresOn ? null : endOfDayUtc(draft.expiresOn)
  const before = license.expiresAt ? new Date(license.expiresAt).toISOString() : null
  if (expiresAt !== before && !(expiresAt && before && sameUtcDay(expiresAt, before))) out.expiresAt = expiresAt
  return Object.keys(out).length ? out : null
}

/** `2027-01-31` → the last millisecond of that UTC day, so a licence "expires on" a day works all of it. */
export function endOfDayUtc(day: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null
  const date = new Date(`${day}T23:59:59.999Z`)
  // Not a day that exists (31 February rolls over to March).
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== day) return null
  return date.toISOString()
}

/** The UTC day of a timestamp, as `<input type="date">` wants it. */
export function utcDay(iso: string | null | undefined): string {
  if (!iso) return ''
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().slice(0, 10)
}

function sameUtcDay(a: string, b: string) {
  return utcDay(a) === utcDay(b)
}

/** "3 seats", "1 seat", "Unlimited". */
export function seatsText(maxUsage: number | null): string {
  return maxUsage === null ? 'Unlimited' : `${formatNumber(maxUsage)} ${maxUsage === 1 ? 'seat' : 'seats'}`
}

const enc = encodeURIComponent

export function useAdminLicenses() {
  const api = useApi()
  return {
    list: (query: AdminLicenseListQuery) => api<Paginated<AdminLicense>>('/api/admin/licenses', { query }),
    get: (id: string) => api<AdminLicenseDetail>(`/api/admin/licenses/${enc(id)}`),
    grant: (body: AdminLicenseGrant) => api<AdminLicenseGrantResult>('/api/admin/licenses', { method: 'POST', body }),
    update: (id: string, body: AdminLicenseUpdate) => api<AdminLicenseDetail>(`/api/admin/licenses/${enc(id)}`, { method: 'PATCH', body }),
    revoke: (id: string, reason: string) => api<AdminLicenseDetail>(`/api/admin/licenses/${enc(id)}/revoke`, { method: 'POST', body: { reason } }),
    releaseActivation: (id: string, activationId: string, reason: string) =>
      api<AdminLicenseDetail>(`/api/admin/licenses/${enc(id)}/activations/${enc(activationId)}/release`, { method: 'POST', body: { reason } }),
    audit: (id: string, cursor?: string | null) =>
      api<AuditPage>('/api/admin/audit', { query: { entityType: 'license', entityId: id, limit: 20, cursor: cursor || undefined } }),
  }
}
