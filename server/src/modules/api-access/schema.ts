import { apiKeyEnvironments, type AdminApiCredentials, type ApiCredential, type ApiCredentialSecret, type ApiKey } from '@mintreu/contracts';
import { z } from 'zod';

const timestamp = z.string().describe('ISO 8601, UTC');

/** An API key as its owner sees it: a display prefix, never the key or its hash (API.md "API products and keys"). */
export const apiKey = z.object({
  id: z.string(),
  name: z.string(),
  environment: z.enum(apiKeyEnvironments),
  prefix: z.string().describe('mk_live_ plus the first 8 characters of the secret'),
  licenseId: z.string(),
  productId: z.string(),
  planId: z.string().nullable(),
  allowedDomains: z.array(z.string()),
  allowedIps: z.array(z.string()),
  status: z.enum(['active', 'expired', 'revoked']),
  expiresAt: timestamp.nullable().describe('When the key stops working: a chosen expiry, or the end of a rotation grace period'),
  lastUsedAt: timestamp.nullable(),
  createdAt: timestamp,
}) satisfies z.ZodType<ApiKey>;

export const apiKeyList = z.object({ data: z.array(apiKey) });

/** External API credentials as lists show them: label and hint, never the key or the secret. */
export const apiCredential = z.object({
  id: z.string(),
  licenseId: z.string(),
  productId: z.string(),
  productTitle: z.string(),
  label: z.string(),
  hint: z.string().describe("The key's last four characters; empty for a key too short to hint at"),
  accountUrl: z.string().nullable(),
  externalUserId: z.string().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
}) satisfies z.ZodType<ApiCredential>;

export const apiCredentialList = z.object({ data: z.array(apiCredential) });

export const adminApiCredentials = z.object({
  licenseId: z.string(),
  productType: z.string(),
  attachable: z.boolean(),
  reason: z.string().nullable(),
  data: z.array(apiCredential),
}) satisfies z.ZodType<AdminApiCredentials>;

export const apiCredentialSecret = z.object({ apiKey: z.string(), apiSecret: z.string().nullable() }) satisfies z.ZodType<ApiCredentialSecret>;
