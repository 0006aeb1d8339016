import { apiKeyEnvironments, type ApiKey } from '@mintreu/contracts';
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
