import {
  downloadAccessReasons, downloadDeliveries, downloadLogEvents, downloadLogStatuses, licenseStatuses,
  type DownloadAccess, type DownloadableProduct, type DownloadLink, type DownloadLogEntry, type DownloadStats,
} from '@mintreu/contracts';
import { z } from 'zod';
import { listMeta } from '../users/schema.js';

const timestamp = z.string().describe('ISO 8601, UTC');

export const productSlugParams = z.object({ slug: z.string().min(1).max(120) });
export const tokenParams = z.object({ token: z.string().min(1).max(200) });

export const downloadLink = z.object({
  downloadUrl: z.string().describe('Absolute URL of GET /api/download/{token}; the token is shown this once'),
  expiresAt: timestamp,
  fileName: z.string(),
  fileSize: z.number().int().nullable(),
  sha256: z.string().nullable().describe('Hex SHA-256 of the file, when known'),
}) satisfies z.ZodType<DownloadLink>;

export const downloadAccess = z.object({
  allowed: z.boolean(),
  reason: z.enum(downloadAccessReasons),
  licenseId: z.string().nullable(),
}) satisfies z.ZodType<DownloadAccess>;

const publicSource = z.object({
  id: z.string(),
  provider: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  version: z.string().nullable(),
  fileName: z.string().nullable(),
  fileSize: z.number().int().nullable(),
  sha256: z.string().nullable(),
  isPrimary: z.boolean(),
  isActive: z.boolean(),
  lastVerifiedAt: timestamp.nullable(),
});

export const downloadableList = z.object({
  data: z.array(z.object({
    product: z.object({ id: z.string(), slug: z.string(), title: z.string(), type: z.string(), image: z.string().nullable() }),
    license: z.object({ id: z.string(), keyHint: z.string(), type: z.string(), status: z.enum(licenseStatuses), expiresAt: timestamp.nullable() }),
    sources: z.array(publicSource),
  }) satisfies z.ZodType<DownloadableProduct>),
});

export const downloadLogEntry = z.object({
  id: z.string(),
  at: timestamp,
  event: z.enum(downloadLogEvents),
  status: z.enum(downloadLogStatuses),
  reason: z.string().nullable(),
  product: z.object({ id: z.string(), slug: z.string(), title: z.string() }).nullable(),
  sourceId: z.string().nullable(),
  userId: z.string().nullable(),
  userEmail: z.string().nullable(),
  licenseId: z.string().nullable(),
  delivery: z.enum(downloadDeliveries).nullable(),
  rangeStart: z.number().int().nullable(),
  bytesExpected: z.number().int().nullable(),
  bytesSent: z.number().int().nullable(),
  ip: z.string(),
  userAgent: z.string().nullable(),
  finishedAt: timestamp.nullable(),
}) satisfies z.ZodType<DownloadLogEntry>;

export const downloadLogList = z.object({ data: z.array(downloadLogEntry), meta: listMeta });

export const downloadStats = z.object({
  days: z.array(z.object({ day: z.string().describe('YYYY-MM-DD, UTC'), downloads: z.number().int(), failed: z.number().int() })),
  total: z.number().int(),
  topProducts: z.array(z.object({ id: z.string(), slug: z.string(), title: z.string(), downloads: z.number().int() })),
}) satisfies z.ZodType<DownloadStats>;
