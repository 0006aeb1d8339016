import { licenseStatuses, licenseTypeSchema, type License } from '@mintreu/contracts';
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
}) satisfies z.ZodType<License>;

export const licenseList = z.object({ data: z.array(license), meta: listMeta });
export const listLicensesQuery = z.object({ ...pageQuery });
export const licenseParams = z.object({ id: z.string().min(1).max(64) });
