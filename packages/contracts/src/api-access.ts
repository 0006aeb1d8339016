// API products contracts (API.md "API products and keys"): keys, their rules, usage, the verify endpoint,
// service tokens and the plan endpoints an admin defines.
import type { ApiKeyEnvironment } from './commerce.js'
import { z } from './zod.js'

/** Codes of `POST /api/keys/verify` (and the reasons the gateway refuses a call). */
export const verifyCodes = ['VALID', 'NOT_FOUND', 'REVOKED', 'EXPIRED', 'RATE_LIMITED', 'USAGE_EXCEEDED', 'FORBIDDEN'] as const
export type VerifyCode = (typeof verifyCodes)[number]

const domain = z.string().trim().toLowerCase().min(1).max(253)
  .regex(/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$|^localhost$/, 'a host name such as example.com or *.example.com')
/** An IPv4/IPv6 address or CIDR block. Checked again on the server with node:net. */
const ipRule = z.string().trim().min(2).max(64).regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'an IP address or CIDR block such as 203.0.113.0/24')

export const apiKeyRulesSchema = z.object({
  allowedDomains: z.array(domain).max(50).optional(),
  allowedIps: z.array(ipRule).max(50).optional(),
})

/** `POST /api/api-keys` */
export const createApiKeyBodySchema = apiKeyRulesSchema.extend({
  licenseId: z.string().trim().min(1).max(64),
  name: z.string().trim().min(1).max(100),
  environment: z.enum(['live', 'test']).default('live'),
  /** Optional hard expiry. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
})
export type CreateApiKeyBody = z.input<typeof createApiKeyBodySchema>

/** `PATCH /api/api-keys/{id}` */
export const updateApiKeyBodySchema = apiKeyRulesSchema.extend({ name: z.string().trim().min(1).max(100).optional() })
export type UpdateApiKeyBody = z.infer<typeof updateApiKeyBodySchema>

/** `POST /api/api-keys/{id}/rotate`: the old key keeps working for `graceSeconds` (default one day, at most 30). */
export const rotateApiKeyBodySchema = z.object({ graceSeconds: z.number().int().min(0).max(30 * 86_400).default(86_400) })

export interface QuotaUse {
  limit: number | null
  used: number
  /** When the counter starts again (the licence's billing period, not the calendar). */
  resetAt: string
}

/** One API subscription (an `api_subscription` licence) as its owner sees it on the API page. */
export interface ApiSubscription {
  licenseId: string
  licenseStatus: string
  productId: string
  productSlug: string
  productTitle: string
  productType: string
  planId: string | null
  planName: string | null
  gatewayUrl: string
  requestsPerMinute: number | null
  quota: { day: QuotaUse; month: QuotaUse }
  keys: { active: number; limit: number }
  maxDomains: number | null
}

export interface ApiUsagePoint { at: string; calls: number; errors: number; cost: number }
export interface ApiUsageEndpoint { endpoint: string; calls: number; errors: number; avgLatencyMs: number }

/** `GET /api/api-keys/{id}/usage` */
export interface ApiKeyUsage {
  keyId: string
  from: string
  to: string
  interval: 'hour' | 'day'
  series: ApiUsagePoint[]
  endpoints: ApiUsageEndpoint[]
  totals: { calls: number; errors: number; cost: number; bytesIn: number; bytesOut: number }
}

/** `POST /api/keys/verify` */
export const verifyKeyBodySchema = z.object({
  key: z.string().min(1).max(256),
  productSlug: z.string().trim().min(1).max(200).optional(),
  cost: z.number().int().min(0).max(1000).default(1),
  /** The end client's address and page origin, when the seller wants those rules checked too. */
  ip: z.string().trim().max(64).optional(),
  origin: z.string().trim().max(2048).optional(),
})
export type VerifyKeyBody = z.input<typeof verifyKeyBodySchema>

export interface VerifyKeyResult {
  valid: boolean
  code: VerifyCode
  keyId: string | null
  environment?: ApiKeyEnvironment
  plan: { id: string; slug: string; name: string } | null
  ratelimit: { limit: number; remaining: number; reset: number } | null
  quota: { limit: number; remaining: number } | null
}

/** An endpoint of an API product: what the gateway lets through, and what a call costs. */
export const apiEndpointBodySchema = z.object({
  method: z.enum(['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']),
  path: z.string().trim().min(1).max(300).regex(/^\/[A-Za-z0-9._~{}/*-]*$/, 'a path such as /users/{id}'),
  name: z.string().trim().min(1).max(120),
  weight: z.number().int().min(1).max(100).default(1),
  /** Plans that may call it; empty means every plan. */
  planIds: z.array(z.string().min(1).max(64)).max(50).default([]),
  isActive: z.boolean().default(true),
})
export type ApiEndpointBody = z.input<typeof apiEndpointBodySchema>
export interface ApiEndpoint extends z.infer<typeof apiEndpointBodySchema> { id: string; productId: string }

/**
 * `PATCH /api/admin/api-endpoints/{id}`: what changes, nothing else (no defaults: a field left out keeps its value).
 */
export const updateApiEndpointBodySchema = z.object({
  method: apiEndpointBodySchema.shape.method.optional(),
  path: apiEndpointBodySchema.shape.path.optional(),
  name: apiEndpointBodySchema.shape.name.optional(),
  weight: z.number().int().min(1).max(100).optional(),
  planIds: z.array(z.string().min(1).max(64)).max(50).optional(),
  isActive: z.boolean().optional(),
}).refine(body => Object.values(body).some(v => v !== undefined), { message: 'Change at least one field' })
export type UpdateApiEndpointBody = z.infer<typeof updateApiEndpointBodySchema>

/** Fields of the credentials an admin attaches to an `api_referral` subscription (the third party's key and secret). */
const credentialFields = {
  label: z.string().trim().min(1).max(100),
  apiKey: z.string().trim().min(1).max(2000),
  /** null: the third party gives no secret (or, on a change, remove it). */
  apiSecret: z.string().trim().min(1).max(4000).nullable(),
  /** Where the customer signs in at the third party: http(s) only, since it is shown as a link. */
  accountUrl: z.url({ protocol: /^https?$/, error: 'an http(s) address' }).max(2000).nullable(),
  /** The customer's account id at the third party. */
  externalUserId: z.string().trim().min(1).max(200).nullable(),
}

/** `POST /api/admin/api-credentials` */
export const attachApiCredentialBodySchema = z.object({
  licenseId: z.string().trim().min(1).max(64),
  label: credentialFields.label,
  apiKey: credentialFields.apiKey,
  apiSecret: credentialFields.apiSecret.optional(),
  accountUrl: credentialFields.accountUrl.optional(),
  externalUserId: credentialFields.externalUserId.optional(),
})
export type AttachApiCredentialBody = z.input<typeof attachApiCredentialBodySchema>

/**
 * `PATCH /api/admin/api-credentials/{id}`: a new `apiKey` and/or `apiSecret` replaces it (sealed again); a field
 * left out keeps its value; null clears an optional one.
 */
export const updateApiCredentialBodySchema = z.object({
  label: credentialFields.label.optional(),
  apiKey: credentialFields.apiKey.optional(),
  apiSecret: credentialFields.apiSecret.optional(),
  accountUrl: credentialFields.accountUrl.optional(),
  externalUserId: credentialFields.externalUserId.optional(),
}).refine(body => Object.values(body).some(v => v !== undefined), { message: 'Change at least one field' })
export type UpdateApiCredentialBody = z.infer<typeof updateApiCredentialBodySchema>

/** External API credentials as lists show them: label and hint, never the key or the secret. */
export interface ApiCredential {
  id: string
  licenseId: string
  productId: string
  productTitle: string
  label: string
  /** The key's last four characters (empty for a key too short to hint at safely). */
  hint: string
  accountUrl: string | null
  externalUserId: string | null
  createdAt: string
  updatedAt: string
}

/** `POST /api/api-credentials/{id}/reveal`: the owner's credentials in full (never cached, audited). */
export interface ApiCredentialSecret {
  apiKey: string
  apiSecret: string | null
}

/** `GET /api/admin/api-credentials?licenseId=`: a licence's credentials and whether more can be attached to it. */
export interface AdminApiCredentials {
  licenseId: string
  productType: string
  /** api_referral product and a licence not revoked */
  attachable: boolean
  /** Why not, when not attachable. */
  reason: string | null
  data: ApiCredential[]
}

export interface ServiceToken {
  id: string
  name: string
  prefix: string
  productId: string | null
  lastUsedAt: string | null
  revokedAt: string | null
  createdAt: string
}

export interface ApiUsageOverview {
  from: string
  totals: { calls: number; errors: number; p50LatencyMs: number; p95LatencyMs: number }
  topKeys: { keyId: string; prefix: string; name: string; productTitle: string; calls: number; errors: number }[]
  errors: { status: number; calls: number }[]
  endpoints: { endpoint: string; calls: number; errors: number; avgLatencyMs: number }[]
}
