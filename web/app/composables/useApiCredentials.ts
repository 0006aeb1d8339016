// External API credentials of api_referral subscriptions (API.md "API products and keys"): the admin attaches,
// replaces and removes them on the licence page; the owner sees them by label and hint on the API page and reveals
// one on demand. The key and secret never sit in a list, a cache or a log on this side either: a reveal's answer
// lives in one modal's state and is dropped when it closes.
import {
  attachApiCredentialBodySchema, updateApiCredentialBodySchema,
  type AdminApiCredentials, type ApiCredential, type ApiCredentialSecret, type AttachApiCredentialBody, type UpdateApiCredentialBody,
} from '@mintreu/contracts'

export type { AdminApiCredentials, ApiCredential, ApiCredentialSecret }

const enc = encodeURIComponent

export function useApiCredentials() {
  const api = useApi()
  return {
    /** The caller's own, label and hint only. */
    mine: () => api<{ data: ApiCredential[] }>('/api/api-credentials'),
    reveal: (id: string) => api<ApiCredentialSecret>(`/api/api-credentials/${enc(id)}/reveal`, { method: 'POST' }),
    ofLicense: (licenseId: string) => api<AdminApiCredentials>('/api/admin/api-credentials', { query: { licenseId } }),
    attach: (body: AttachApiCredentialBody) => api<ApiCredential>('/api/admin/api-credentials', { method: 'POST', body }),
    update: (id: string, body: UpdateApiCredentialBody) => api<ApiCredential>(`/api/admin/api-credentials/${enc(id)}`, { method: 'PATCH', body }),
    remove: (id: string) => api(`/api/admin/api-credentials/${enc(id)}`, { method: 'DELETE' }),
  }
}

/** What the admin's form holds. When replacing, an empty key or secret keeps the stored one. */
export interface CredentialDraft {
  label: string
  apiKey: string
  apiSecret: string
  /** Replacing only: drop the stored secret. */
  removeSecret: boolean
  accountUrl: string
  externalUserId: string
}

export function credentialDraft(credential?: ApiCredential | null): CredentialDraft {
  return {
    label: credential?.label ?? '',
    apiKey: '',
    apiSecret: '',
    removeSecret: false,
    accountUrl: credential?.accountUrl ?? '',
    externalUserId: credential?.externalUserId ?? '',
  }
}

const orNull = (value: string) => (value.trim() ? value.trim() : null)

/** `POST /api/admin/api-credentials` from the form: optional fields left empty are not sent. */
export function attachBody(licenseId: string, draft: CredentialDraft): AttachApiCredentialBody {
  return {
    licenseId,
    label: draft.label.trim(),
    apiKey: draft.apiKey.trim(),
    ...(orNull(draft.apiSecret) ? { apiSecret: draft.apiSecret.trim() } : {}),
    ...(orNull(draft.accountUrl) ? { accountUrl: draft.accountUrl.trim() } : {}),
    ...(orNull(draft.externalUserId) ? { externalUserId: draft.externalUserId.trim() } : {}),
  }
}

/** `PATCH /api/admin/api-credentials/{id}`: only what differs; null when nothing does. */
export function credentialChange(current: ApiCredential, draft: CredentialDraft): UpdateApiCredentialBody | null {
  const out: UpdateApiCredentialBody = {}
  if (draft.label.trim() !== current.label) out.label = draft.label.trim()
  if (draft.apiKey.trim()) out.apiKey = draft.apiKey.trim()
  if (draft.removeSecret) out.apiSecret = null
  else if (draft.apiSecret.trim()) out.apiSecret = draft.apiSecret.trim()
  if (orNull(draft.accountUrl) !== current.accountUrl) out.accountUrl = orNull(draft.accountUrl)
  if (orNull(draft.externalUserId) !== current.externalUserId) out.externalUserId = orNull(draft.externalUserId)
  return Object.keys(out).length ? out : null
}

/** The form's errors, by the same schemas the server checks with (the first problem of each field). */
export function credentialFormErrors(licenseId: string, draft: CredentialDraft, current: ApiCredential | null): { name: string; message: string }[] {
  const result = current
    ? updateApiCredentialBodySchema.safeParse(credentialChange(current, draft) ?? { label: draft.label.trim() })
    : attachApiCredentialBodySchema.safeParse(attachBody(licenseId, draft))
  if (result.success) return []
  const seen = new Set<string>()
  return result.error.issues.flatMap((issue) => {
    const name = String(issue.path[0] ?? '')
    if (!name || seen.has(name)) return []
    seen.add(name)
    const message = name === 'apiKey' && !draft.apiKey.trim() ? 'Paste the API key the partner issued' : name === 'label' && !draft.label.trim() ? 'Name it, e.g. "Production account"' : issue.message
    return [{ name, message }]
  })
}

/** How a credential is recognised in a list: its last four characters, or dots for a short key. */
export const credentialHintText = (hint: string) => `••••${hint}`

/** Credentials grouped by licence, newest first within each. */
export function credentialsByLicense(credentials: readonly ApiCredential[]): Map<string, ApiCredential[]> {
  const out = new Map<string, ApiCredential[]>()
  for (const credential of [...credentials].sort((a, b) => b.createdAt.localeCompare(a.createdAt))) {
    out.set(credential.licenseId, [...(out.get(credential.licenseId) ?? []), credential])
  }
  return out
}
