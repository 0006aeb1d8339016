import {
  changeReasonSchema, licenseCheckCodes, licenseStatuses, licenseTypeSchema, orderStatuses,
  type AdminLicense, type AdminLicenseDetail, type License, type LicenseCheckResult,
} from '@mintreu/contracts';
import { z } from 'zod';
import { listMeta, pageQuery } from '../users/schema.js';

const timestamp = z.string().describe('ISO 8601, UTC');

export const activation = z.object({
  id: z.string(),
  name: z.string(),
  fingerprint: z.string().nullable(),
  domain: z.string().nullable(),
  createdAt: timestamp,
  lastValidatedAt: timestamp.nullable(),
  usesSeat: z.boolean().describe('false for development domains, which take no seat'),
});

/** The licence as its owner sees it (API.md "Licences"); `License` in contracts is the same shape. */
export const license = z.object({
  id: z.string(),
  key: z.string().describe('XXXX-XXXX-XXXX-XXXX'),
  productId: z.string(),
  productSlug: z.string(),
  productTitle: z.string(),
  type: licenseTypeSchema,
  status: z.enum(licenseStatuses),
  usageCount: z.number().int(),
  maxUsage: z.number().int().nullable().describe('null is unlimited'),
  expiresAt: timestamp.nullable(),
  activations: z.array(activation),
  attribution: z.object({ required: z.boolean(), text: z.string().nullable() }),
  orderId: z.string().nullable(),
  planId: z.string().nullable(),
  createdAt: timestamp,
  releases: z.object({ limit: z.number().int(), remaining: z.number().int(), windowHours: z.number().int(), nextAt: timestamp.nullable() }),
}) satisfies z.ZodType<License>;

export const licenseList = z.object({ data: z.array(license), meta: listMeta });
export const listLicensesQuery = z.object({ ...pageQuery });
export const licenseParams = z.object({ id: z.string().min(1).max(64) });

// ---- Public licence API (installed software) ---------------------------------------------------------------

const checkLicense = z.object({
  id: z.string(),
  status: z.enum(licenseStatuses),
  type: licenseTypeSchema,
  productSlug: z.string(),
  usageCount: z.number().int(),
  maxUsage: z.number().int().nullable(),
  expiresAt: timestamp.nullable(),
});

const checkInstance = z.object({
  id: z.string(),
  name: z.string(),
  fingerprint: z.string().nullable(),
  domain: z.string().nullable(),
  createdAt: timestamp,
});

/** The outcome of validate / activate / deactivate (API.md): always 200, the verdict is data. */
export const licenseCheckResult = z.object({
  valid: z.boolean().optional(),
  activated: z.boolean().optional(),
  deactivated: z.boolean().optional(),
  code: z.enum(licenseCheckCodes),
  detail: z.string(),
  license: checkLicense.nullable(),
  instance: checkInstance.nullable(),
  lease: z.string().optional().describe('EdDSA JWT; verify with GET /api/licenses/public-key'),
  leaseExpiresAt: timestamp.optional(),
}) satisfies z.ZodType<LicenseCheckResult>;

const publicJwk = z.object({ kty: z.string(), crv: z.string(), x: z.string(), kid: z.string(), alg: z.string(), use: z.string() });
export const leasePublicKey = publicJwk.extend({
  keys: z.array(publicJwk).describe('Every key a live lease may be signed with (a JWK Set), the current one first'),
});

// ---- Self-service ---------------------------------------------------------------------------------------------

export const activationParams = z.object({ id: z.string().min(1).max(64), activationId: z.string().min(1).max(64) });
export const releaseAllRequested = z.object({ sentTo: z.string(), expiresAt: timestamp });

// ---- Admin ----------------------------------------------------------------------------------------------------

const adminActivation = activation.extend({
  usesSeat: z.boolean(),
  ip: z.string().nullable(),
  releasedAt: timestamp.nullable(),
  releasedBy: z.enum(['owner', 'owner_all', 'admin', 'software', 'reset']).nullable(),
});

export const adminLicense = z.object({
  id: z.string(),
  keyHint: z.string(),
  product: z.object({ id: z.string(), slug: z.string(), title: z.string() }),
  type: licenseTypeSchema,
  status: z.enum(licenseStatuses),
  state: z.enum(['active', 'disabled', 'revoked']),
  user: z.object({ id: z.string(), name: z.string(), email: z.string() }).nullable(),
  email: z.string().nullable(),
  usageCount: z.number().int(),
  maxUsage: z.number().int().nullable(),
  expiresAt: timestamp.nullable(),
  orderId: z.string().nullable(),
  planId: z.string().nullable(),
  revokedAt: timestamp.nullable(),
  revokeReason: z.string().nullable(),
  createdAt: timestamp,
}) satisfies z.ZodType<AdminLicense>;

export const adminLicenseDetail = adminLicense.extend({
  activations: z.array(adminActivation),
  validations: z.array(z.object({
    activationId: z.string().nullable(), code: z.string(), ip: z.string().nullable(), count: z.number().int(),
    firstAt: timestamp, lastAt: timestamp,
  })),
  order: z.object({ id: z.string(), status: z.enum(orderStatuses), total: z.number().int(), currency: z.string(), createdAt: timestamp }).nullable(),
  attribution: z.object({ required: z.boolean(), text: z.string().nullable() }),
}) satisfies z.ZodType<AdminLicenseDetail>;

export const adminLicenseList = z.object({ data: z.array(adminLicense), meta: listMeta });
export const adminLicenseGrantResult = z.object({ license: adminLicenseDetail, key: z.string() });
export const adminReleaseBody = z.strictObject({ reason: changeReasonSchema });
