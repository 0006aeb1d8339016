// Downloads contracts (API.md "Downloads"): the link a download request returns, what a customer may download,
// the access check a product page asks for, and the admin download log and its per-day counts.
import type { ProductSource } from './catalog-types.js'
import type { LicenseStatus } from './commerce.js'
import { z } from './zod.js'

export const downloadLogStatuses = ['granted', 'started', 'completed', 'denied', 'failed'] as const
export type DownloadLogStatus = (typeof downloadLogStatuses)[number]
export const downloadLogEvents = ['initiate', 'redeem'] as const
export type DownloadLogEvent = (typeof downloadLogEvents)[number]
export const downloadDeliveries = ['stream', 'redirect', 'accel'] as const
export type DownloadDelivery = (typeof downloadDeliveries)[number]

/** `POST /api/products/{slug}/download` body: a source of the product, or its primary one. */
export const initiateDownloadBodySchema = z.object({
  sourceId: z.string().trim().min(1).max(64).optional(),
})
export type InitiateDownloadBody = z.infer<typeof initiateDownloadBodySchema>

/** The masked, expiring link. */
export interface DownloadLink {
  /** Absolute `…/api/download/{token}`: the token is the capability, shown this once. */
  downloadUrl: string
  expiresAt: string
  fileName: string
  fileSize: number | null
  sha256: string | null
}

/** Why a product can (or cannot) be downloaded by this visitor: the permission order of API.md. */
export const downloadAccessReasons = ['FREEBIE', 'FREE', 'LICENSED', 'UNAUTHENTICATED', 'PURCHASE_REQUIRED', 'NO_SOURCE'] as const
export type DownloadAccessReason = (typeof downloadAccessReasons)[number]

/** `GET /api/products/{slug}/download-access`: what the product page's Download button needs to know. */
export interface DownloadAccess {
  allowed: boolean
  reason: DownloadAccessReason
  /** The licence the download would rest on, when one is needed and held. */
  licenseId: string | null
}

/** One product the signed-in customer may download (`GET /api/downloads`). */
export interface DownloadableProduct {
  product: { id: string; slug: string; title: string; type: string; image: string | null }
  license: { id: string; keyHint: string; type: string; status: LicenseStatus; expiresAt: string | null }
  /** Active sources, primary first: versions, sizes and SHA-256 checksums, never a URL. */
  sources: ProductSource[]
}

export const downloadLogQuerySchema = z.object({
  productId: z.string().trim().min(1).max(64).optional(),
  userId: z.string().trim().min(1).max(64).optional(),
  status: z.enum(downloadLogStatuses).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  perPage: z.coerce.number().int().min(1).max(100).default(25),
})
export type DownloadLogQuery = z.infer<typeof downloadLogQuerySchema>

export interface DownloadLogEntry {
  id: string
  at: string
  event: DownloadLogEvent
  status: DownloadLogStatus
  reason: string | null
  product: { id: string; slug: string; title: string } | null
  sourceId: string | null
  userId: string | null
  userEmail: string | null
  licenseId: string | null
  delivery: DownloadDelivery | null
  rangeStart: number | null
  bytesExpected: number | null
  bytesSent: number | null
  ip: string
  userAgent: string | null
  finishedAt: string | null
}

export const downloadStatsQuerySchema = z.object({
  productId: z.string().trim().min(1).max(64).optional(),
  days: z.coerce.number().int().min(1).max(365).default(30),
})
export type DownloadStatsQuery = z.infer<typeof downloadStatsQuerySchema>

/** Downloads (links first used) per UTC day, oldest first, every day of the window present. */
export interface DownloadStats {
  days: { day: string; downloads: number; failed: number }[]
  total: number
  topProducts: { id: string; slug: string; title: string; downloads: number }[]
}
