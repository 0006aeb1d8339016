// Licensing contracts (API.md "Licences"): the public validate / activate / deactivate bodies that installed
// software sends, their outcome, and the admin panel's licence forms. Shared by the API and the web.
import { z } from 'zod'
import { licenseTypeSchema } from './catalog.js'
import { changeReasonSchema } from './admin.js'

/** Every outcome code of the public licence endpoints. */
export const licenseCheckCodes = [
  'VALID', 'NOT_FOUND', 'DISABLED', 'REVOKED', 'EXPIRED', 'ACTIVATION_LIMIT', 'NOT_ACTIVATED',
  'PRODUCT_MISMATCH', 'LICENSING_PAUSED',
] as const
export type LicenseCheckCode = (typeof licenseCheckCodes)[number]

// Generous enough for any real key, fingerprint or host name; anything longer is refused before a look-up.
const licenseKeyInput = z.string().trim().min(1, 'The licence key is required').max(64, 'That is not a licence key')
/** A machine fingerprint as the client computes it (a hash, a machine id): opaque to us. */
const fingerprint = z.string().trim().min(1).max(255)
/** A host name, as typed or as `new URL(...).hostname` gives it; unicode is accepted and normalised to ASCII. */
const domain = z.string().trim().min(1).max(253)
const productSlug = z.string().trim().min(1).max(120)
const instanceId = z.string().trim().min(1).max(64)

export const validateLicenseBodySchema = z.object({
  key: licenseKeyInput,
  instanceId: instanceId.optional(),
  fingerprint: fingerprint.optional(),
  domain: domain.optional(),
  productSlug: productSlug.optional(),
})
export type ValidateLicenseBody = z.infer<typeof validateLicenseBodySchema>

export const activateLicenseBodySchema = z
  .object({
    key: licenseKeyInput,
    name: z.string().trim().min(1, 'Name the machine or site').max(120),
    fingerprint: fingerprint.optional(),
    domain: domain.optional(),
    productSlug: productSlug.optional(),
  })
  .refine((body) => body.fingerprint || body.domain, {
    message: 'Send a fingerprint, a domain or both: an activation is bound to one',
    path: ['fingerprint'],
  })
export type ActivateLicenseBody = z.infer<typeof activateLicenseBodySchema>

export const deactivateLicenseBodySchema = z.object({ key: licenseKeyInput, instanceId })
export type DeactivateLicenseBody = z.infer<typeof deactivateLicenseBodySchema>

/** The licence as installed software sees it: no key, no owner. */
export interface LicenseCheckLicense {
  id: string
  status: 'active' | 'disabled' | 'expired' | 'usage_limit' | 'revoked'
  type: z.infer<typeof licenseTypeSchema>
  productSlug: string
  usageCount: number
  maxUsage: number | null
  expiresAt: string | null
}

export interface LicenseCheckInstance {
  id: string
  name: string
  fingerprint: string | null
  domain: string | null
  createdAt: string
}

/** The outcome of validate / activate / deactivate: always 200, the verdict is data. */
export interface LicenseCheckResult {
  valid?: boolean
  activated?: boolean
  deactivated?: boolean
  code: LicenseCheckCode
  /** A human sentence for the code, for logs and support. */
  detail: string
  license: LicenseCheckLicense | null
  instance: LicenseCheckInstance | null
  /** EdDSA JWT: verify it with `GET /api/licenses/public-key` and keep working offline until it expires. */
  lease?: string
  leaseExpiresAt?: string
}

/** The claims of a lease (besides `iss`, `sub` = licence id, `iat`, `exp`, `jti`). */
export interface LeaseClaims {
  /** Licence id (same as `sub`). */
  lid: string
  product: string
  type: string
  /** The activation the lease is for, or null for a licence-wide validation. */
  instance: string | null
  fingerprint: string | null
  domain: string | null
  /** What the licence entitles its holder to: `commercial`, `attribution`, plan features, … */
  entitlements: string[]
  /** The licence's own expiry (seconds since the epoch), if it has one: the lease never outlives it. */
  licenseExp: number | null
}

// ---- Customer self-service ----------------------------------------------------------------------------

export const releaseAllConfirmSchema = z.object({ token: z.string().trim().min(16).max(128) })

// ---- Admin ---------------------------------------------------------------------------------------------

const isoDate = z.iso.datetime({ offset: true })
const maxUsage = z.number().int().min(0, 'Seats cannot be negative').max(1_000_000).nullable()

export const adminLicenseGrantSchema = z.strictObject({
  productId: z.string().min(1).max(64),
  /** The holder: an account's email attaches it to that account; an unknown email keeps it for them. */
  email: z.email('Enter a valid email address').max(254),
  type: licenseTypeSchema,
  planId: z.string().min(1).max(64).nullable().optional(),
  /** Absent: the type's default. Null: unlimited. */
  maxUsage: maxUsage.optional(),
  /** Absent: the type's default. Null: never. */
  expiresAt: isoDate.nullable().optional(),
  attributionText: z.string().trim().max(300).nullable().optional(),
  /** Email the key to the holder. */
  notify: z.boolean().optional(),
  reason: changeReasonSchema,
})
export type AdminLicenseGrant = z.input<typeof adminLicenseGrantSchema>

export const adminLicenseUpdateSchema = z
  .strictObject({
    /** `disabled` suspends, `active` reinstates. Revocation has its own route: it cannot be undone. */
    state: z.enum(['active', 'disabled']).optional(),
    maxUsage: maxUsage.optional(),
    expiresAt: isoDate.nullable().optional(),
    /** Release every activation and set the seat count to zero. */
    resetUsage: z.literal(true).optional(),
    reason: changeReasonSchema,
  })
  .refine((body) => body.state !== undefined || body.maxUsage !== undefined || body.expiresAt !== undefined || body.resetUsage, {
    message: 'Nothing to change',
    path: ['state'],
  })
export type AdminLicenseUpdate = z.input<typeof adminLicenseUpdateSchema>

export const adminLicenseRevokeSchema = z.strictObject({ reason: changeReasonSchema })

export const adminLicenseListQuerySchema = z.object({
  /** A full key (any spacing or case), its last four characters, an email, a licence id or a product title. */
  search: z.string().trim().max(120).optional(),
  status: z.enum(['active', 'disabled', 'expired', 'usage_limit', 'revoked']).optional(),
  type: licenseTypeSchema.optional(),
  productId: z.string().max(64).optional(),
  userId: z.string().max(64).optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  perPage: z.coerce.number().int().min(1).max(100).default(25),
})
export type AdminLicenseListQuery = z.input<typeof adminLicenseListQuerySchema>
/** The list query once parsed: page and perPage filled in. */
export type AdminLicenseListFilters = z.output<typeof adminLicenseListQuerySchema>
