import type {
  DownloadDelivery, DownloadLogEntry, DownloadLogEvent, DownloadLogQuery, DownloadLogStatus, DownloadStats, DownloadStatsQuery,
} from '@mintreu/contracts';
import { and, count, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { newId } from '../../lib/ids.js';
import { users } from '../auth/tables.js';
import { productSummaries } from '../catalog/products.js';
import { downloadLogs, downloadTokens } from './tables.js';

export interface LogInput {
  event: DownloadLogEvent;
  status: DownloadLogStatus;
  reason?: string | null;
  productId: string;
  tokenId?: string | null;
  sourceId?: string | null;
  userId?: string | null;
  licenseId?: string | null;
  delivery?: DownloadDelivery | null;
  rangeStart?: number | null;
  bytesExpected?: number | null;
}

/** Appends one log row; returns its id (a streamed delivery updates it once, when it ends). */
export async function writeLog(db: DbOrTx, actor: Actor, input: LogInput): Promise<string> {
  const id = newId('download');
  await db.insert(downloadLogs).values({
    id,
    event: input.event,
    status: input.status,
    reason: input.reason ?? null,
    tokenId: input.tokenId ?? null,
    productId: input.productId,
    sourceId: input.sourceId ?? null,
    userId: input.userId ?? null,
    licenseId: input.licenseId ?? null,
    delivery: input.delivery ?? null,
    rangeStart: input.rangeStart ?? null,
    bytesExpected: input.bytesExpected ?? null,
    ip: actor.ip ?? 'unknown',
    userAgent: actor.userAgent?.slice(0, 255) ?? null,
  });
  return id;
}

/** How a streamed delivery ended: all its bytes went out, or it stopped part-way. */
export async function finishLog(db: DbOrTx, id: string, outcome: { completed: boolean; bytesSent: number; reason?: string }) {
  await db
    .update(downloadLogs)
    .set({
      status: outcome.completed ? 'completed' : 'failed',
      bytesSent: outcome.bytesSent,
      reason: outcome.completed ? null : (outcome.reason ?? 'INTERRUPTED'),
      finishedAt: new Date(),
    })
    .where(eq(downloadLogs.id, id));
}

type LogRow = typeof downloadLogs.$inferSelect;

/** The admin download log, newest first, filtered by product, user, status and time. */
export async function listLogs(db: DbOrTx, query: DownloadLogQuery): Promise<{ data: DownloadLogEntry[]; meta: { page: number; perPage: number; total: number } }> {
  const where: SQL[] = [];
  if (query.productId) where.push(eq(downloadLogs.productId, query.productId));
  if (query.userId) where.push(eq(downloadLogs.userId, query.userId));
  if (query.status) where.push(eq(downloadLogs.status, query.status));
  if (query.from) where.push(gte(downloadLogs.createdAt, new Date(query.from)));
  if (query.to) where.push(lt(downloadLogs.createdAt, new Date(query.to)));
  const condition = where.length ? and(...where) : undefined;
  const [rows, totals] = await Promise.all([
    db
      .select({ log: downloadLogs, email: users.email })
      .from(downloadLogs)
      .leftJoin(users, eq(users.id, downloadLogs.userId))
      .where(condition)
      .orderBy(desc(downloadLogs.createdAt), desc(downloadLogs.id))
      .limit(query.perPage)
      .offset((query.page - 1) * query.perPage),
    db.select({ total: count() }).from(downloadLogs).where(condition),
  ]);
  const byId = await productSummaries(db, rows.map((r) => r.log.productId));
  return {
    data: rows.map(({ log, email }) => presentLog(log, email, byId.get(log.productId) ?? null)),
    meta: { page: query.page, perPage: query.perPage, total: totals[0]?.total ?? 0 },
  };
}

function presentLog(row: LogRow, email: string | null, product: { id: string; slug: string; title: string } | null): DownloadLogEntry {
  return {
    id: row.id,
    at: row.createdAt.toISOString(),
    event: row.event as DownloadLogEvent,
    status: row.status as DownloadLogStatus,
    reason: row.reason,
    product: product ? { id: product.id, slug: product.slug, title: product.title } : null,
    sourceId: row.sourceId,
    userId: row.userId,
    userEmail: email,
    licenseId: row.licenseId,
    delivery: row.delivery as DownloadDelivery | null,
    rangeStart: row.rangeStart,
    bytesExpected: row.bytesExpected,
    bytesSent: row.bytesSent,
    ip: row.ip,
    userAgent: row.userAgent,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

const dayMs = 24 * 60 * 60 * 1000;

/**
 * Downloads per UTC day over the last `days` days (a download is a link's first use, so resumes do not count
 * twice), failed redemptions beside them, and the most downloaded products of the window.
 */
export async function downloadStats(db: DbOrTx, query: DownloadStatsQuery, now = new Date()): Promise<DownloadStats> {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const from = new Date(today - (query.days - 1) * dayMs);
  const product = query.productId ? [eq(downloadTokens.productId, query.productId)] : [];
  const day = sql<string>`to_char(date_trunc('day', ${downloadTokens.firstUsedAt} at time zone 'UTC'), 'YYYY-MM-DD')`;
  const failedDay = sql<string>`to_char(date_trunc('day', ${downloadLogs.createdAt} at time zone 'UTC'), 'YYYY-MM-DD')`;
  const [perDay, failures, top] = await Promise.all([
    db.select({ day, n: count() }).from(downloadTokens)
      .where(and(gte(downloadTokens.firstUsedAt, from), ...product)).groupBy(day),
    db.select({ day: failedDay, n: count() }).from(downloadLogs)
      .where(and(
        gte(downloadLogs.createdAt, from), eq(downloadLogs.status, 'failed'),
        ...(query.productId ? [eq(downloadLogs.productId, query.productId)] : []),
      ))
      .groupBy(failedDay),
    db.select({ productId: downloadTokens.productId, n: count() }).from(downloadTokens)
      .where(and(gte(downloadTokens.firstUsedAt, from), ...product))
      .groupBy(downloadTokens.productId).orderBy(desc(count())).limit(5),
  ]);
  const counts = new Map(perDay.map((r) => [r.day, r.n]));
  const failed = new Map(failures.map((r) => [r.day, r.n]));
  const days = Array.from({ length: query.days }, (_, i) => {
    const key = new Date(from.getTime() + i * dayMs).toISOString().slice(0, 10);
    return { day: key, downloads: counts.get(key) ?? 0, failed: failed.get(key) ?? 0 };
  });
  const names = await productSummaries(db, top.map((t) => t.productId));
  return {
    days,
    total: days.reduce((sum, d) => sum + d.downloads, 0),
    topProducts: top.flatMap((t) => {
      const p = names.get(t.productId);
      return p ? [{ id: p.id, slug: p.slug, title: p.title, downloads: t.n }] : [];
    }),
  };
}
