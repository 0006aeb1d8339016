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
