import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { contentDisposition, ObjectNotFoundError } from '../../adapters/storage/index.js';
import type { Db } from '../../db/client.js';
import { AppError } from '../../lib/errors.js';
import type { LiveConfig } from '../../lib/live-config.js';
import { getProductById } from '../catalog/products.js';
import { sourceForDelivery, type SourceRow } from '../catalog/sources.js';
import { licenses } from '../licensing/tables.js';
import type { DownloadCounter } from './counters.js';
import { finishLog, writeLog, type LogInput } from './logs.js';
import { resolveRemote, SourceUnavailableError, type ProviderContext } from './providers.js';
import { ifRangeMatches, parseRange } from './ranges.js';
import { sendFileRange, type SendOutcome } from './send-file.js';
import { deliveryFileName, licenseAllowsDownload } from './service.js';
import { downloadTokens } from './tables.js';
import { hashDownloadToken, isTokenShaped } from './tokens.js';

export interface DeliveryContext extends ProviderContext {
  db: Db;
  live: LiveConfig;
  bindIp: boolean;
  /** `X-Accel-Redirect` prefix: nginx sends local files (see env DOWNLOAD_ACCEL_REDIRECT_PREFIX). */
  accelPrefix: string | null;
  counter: DownloadCounter;
}

type TokenRow = typeof downloadTokens.$inferSelect;

/**
 * Takes one use of the link, if it still has one: a conditional update, so concurrent requests can never use
 * more than `maxUses` nor outlive the expiry. Returns the uses so far, or null when the link is gone.
 */
async function consume(db: Db, id: string): Promise<number | null> {
  const now = new Date();
  const [row] = await db.update(downloadTokens)
    .set({ uses: sql`${downloadTokens.uses} + 1`, firstUsedAt: sql`coalesce(${downloadTokens.firstUsedAt}, now())`, lastUsedAt: now })
    .where(and(eq(downloadTokens.id, id), isNull(downloadTokens.revokedAt), gt(downloadTokens.expiresAt, now), lt(downloadTokens.uses, downloadTokens.maxUses)))
    .returning({ uses: downloadTokens.uses });
  return row?.uses ?? null;
}

/** Why a link no longer works, or null while it does. */
function goneReason(row: TokenRow, now: Date): [string, string] | null {
  if (row.revokedAt) return ['REVOKED', 'This download link was revoked'];
  if (row.expiresAt.getTime() <= now.getTime()) return ['EXPIRED', 'This download link has expired; ask for a new one'];
  if (row.uses >= row.maxUses) return ['USED_UP', 'This download link has been used up; ask for a new one'];
  return null;
}

/**
 * `GET|HEAD /api/download/{token}`. Checks the link (404 unknown; 410 expired, revoked, used up, or its licence,
 * product or file withdrawn), then delivers: a local file streamed here with Range support, or a redirect to a
 * short-lived provider URL. A source that cannot be delivered answers 502 and leaves the link unused. HEAD
 * answers the same headers and neither uses the link nor logs.
 */
export async function redeemDownload(ctx: DeliveryContext, request: FastifyRequest, reply: FastifyReply, token: string) {
  if (!isTokenShaped(token)) throw new AppError('NOT_FOUND', 'This download link does not exist');
  const [row] = await ctx.db.select().from(downloadTokens).where(eq(downloadTokens.tokenHash, hashDownloadToken(token)));
  if (!row) throw new AppError('NOT_FOUND', 'This download link does not exist');
  ctx.live.assertReleased('downloads');

  const head = request.method === 'HEAD';
  const actor = request.actor;
  const base: Omit<LogInput, 'status'> = {
    event: 'redeem', tokenId: row.id, productId: row.productId, sourceId: row.sourceId, userId: row.userId, licenseId: row.licenseId,
  };
  const log = (status: LogInput['status'], extra: Partial<LogInput> = {}) =>
    head ? Promise.resolve(null) : writeLog(ctx.db, actor, { ...base, status, ...extra });
  const gone = async (reason: string, message: string) => {
    await log('denied', { reason });
    return new AppError('GONE', message);
  };

  const expired = goneReason(row, new Date());
  if (expired) throw await gone(...expired);
  if (ctx.bindIp && row.ip !== actor.ip) {
    await log('denied', { reason: 'IP_MISMATCH' });
    throw new AppError('FORBIDDEN', 'This download link was issued to another network address; ask for a new one');
  }
  if (row.licenseId) {
    const [license] = await ctx.db.select().from(licenses).where(eq(licenses.id, row.licenseId));
    if (!license || !licenseAllowsDownload(license)) {
      await ctx.db.update(downloadTokens).set({ revokedAt: new Date(), revokeReason: 'The licence is no longer valid' })
        .where(and(eq(downloadTokens.id, row.id), isNull(downloadTokens.revokedAt)));
      throw await gone('LICENSE_INVALID', 'The licence behind this link is no longer valid');
    }
  }
  const product = await getProductById(ctx.db, row.productId);
  if (product.status !== 'published') throw await gone('PRODUCT_UNAVAILABLE', 'This product is no longer available');
  const source = await sourceForDelivery(ctx.db, row.sourceId);
  if (!source || !source.isActive) throw await gone('SOURCE_UNAVAILABLE', 'This file is no longer offered; ask for a new link');

  const fileName = deliveryFileName(product, source);
  const failed = async (error: SourceUnavailableError) => {
    await log('failed', { reason: error.reason });
    request.log.warn({ sourceId: source.id, provider: source.provider, reason: error.reason }, `download: ${error.message}`);
    return new AppError('SOURCE_UNAVAILABLE', 'The file cannot be delivered right now. Your link still works: try again shortly.', { status: 502 });
  };
  const use = async () => {
    const uses = await consume(ctx.db, row.id);
    if (uses === null) throw await gone('USED_UP', 'This download link is no longer valid; ask for a new one');
    if (uses === 1) ctx.counter.touch();
  };

  reply.header('cache-control', 'private, no-store');
  reply.header('content-disposition', contentDisposition(fileName));
  const contentType = typeof source.metadata.contentType === 'string' ? source.metadata.contentType : 'application/octet-stream';

  try {
    if (source.provider === 'local') return await deliverLocal(ctx, { request, reply, source, contentType, head, use, log });
    return await deliverRemote(ctx, { request, reply, source, fileName, contentType, head, use, log });
  } catch (error) {
    if (error instanceof SourceUnavailableError) throw await failed(error);
    throw error;
  }
}

interface Delivery {
  request: FastifyRequest;
  reply: FastifyReply;
  source: SourceRow;
  contentType: string;
  head: boolean;
  /** Takes one use of the link (410 when it has none left). */
  use: () => Promise<void>;
  log: (status: LogInput['status'], extra?: Partial<LogInput>) => Promise<string | null>;
}

async function deliverLocal(ctx: DeliveryContext, d: Delivery) {
  const { reply, source } = d;
  if (ctx.storage.driver !== 'local' || !ctx.storage.openFile) {
    throw new SourceUnavailableError('The file was stored on local disk, but this instance uses S3', 'STORAGE_MISMATCH');
  }
  if (ctx.accelPrefix) {
    const info = await ctx.storage.stat(source.sourceUrl);
    if (!info) throw new SourceUnavailableError('The stored file is missing', 'SOURCE_MISSING');
    if (!d.head) {
      await d.use();
      await d.log('started', { delivery: 'accel', bytesExpected: info.size });
    }
    // nginx answers Range and If-Range itself, from the file, with sendfile.
    return reply.header('x-accel-redirect', `${ctx.accelPrefix}${source.sourceUrl}`).type(d.contentType).send();
  }

  let file;
  try {
    file = await ctx.storage.openFile(source.sourceUrl);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) throw new SourceUnavailableError('The stored file is missing', 'SOURCE_MISSING');
    throw error;
  }
  const etag = `"${file.version}"`;
  const ifRange = d.request.headers['if-range'];
  const rangeHeader = ifRangeMatches(typeof ifRange === 'string' ? ifRange : undefined, etag, file.lastModified) ? d.request.headers.range : undefined;
  const wanted = parseRange(rangeHeader, file.size);
  reply.header('accept-ranges', 'bytes').header('etag', etag).header('last-modified', file.lastModified.toUTCString()).type(d.contentType);
  if (wanted.kind === 'unsatisfiable') {
    await file.close();
    throw new AppError('RANGE_NOT_SATISFIABLE', 'The requested range is not within the file', {
      status: 416, headers: { 'content-range': `bytes */${file.size}` },
    });
  }
  const range = wanted.kind === 'partial' ? wanted.range : undefined;
  const length = range ? range.end - range.start + 1 : file.size;
  reply.header('content-length', String(length));
  if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${file.size}`);
  if (d.head) {
    await file.close();
    return reply.send();
  }
  try {
    await d.use();
  } catch (error) {
    await file.close();
    throw error;
  }
  const logId = await d.log('started', { delivery: 'stream', rangeStart: range?.start ?? null, bytesExpected: length });
  if (length === 0) {
    await file.close();
    if (logId) await finishLog(ctx.db, logId, { completed: true, bytesSent: 0 });
    return reply.send('');
  }
  // The bytes go straight to the socket from reused buffers (send-file.ts), with the headers Fastify collected.
  reply.hijack();
  const res = reply.raw;
  res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
  let outcome: SendOutcome = { completed: false, bytesSent: 0 };
  try {
    outcome = await sendFileRange(file, res, range?.start ?? 0, range?.end ?? file.size - 1);
  } catch (error) {
    d.request.log.warn({ err: error, sourceId: source.id }, 'download: reading the file failed mid-way');
  } finally {
    await file.close();
    if (logId) {
      await finishLog(ctx.db, logId, outcome).catch((error: unknown) => {
        d.request.log.warn({ err: error }, 'download: could not record how a delivery ended');
      });
    }
  }
  return reply;
}

/**
 * Records how a passed-through response ended, once the response closes: completed when every byte was handed to
 * the socket, failed (INTERRUPTED) with the bytes that went out when the client left or the upstream broke.
 * Fastify destroys the upstream stream when the response closes early.
 */
function track(ctx: DeliveryContext, d: Delivery, logId: string | null, length: number | null, readSoFar: () => number) {
  if (!logId) return;
  const res = d.reply.raw;
  let recorded = false;
  const record = (completed: boolean) => {
    if (recorded) return;
    recorded = true;
    const sent = Math.max(0, readSoFar() - res.writableLength);
    const bytesSent = completed ? (length ?? sent) : Math.min(length ?? sent, sent);
    finishLog(ctx.db, logId, { completed, bytesSent }).catch((error: unknown) => {
      d.request.log.warn({ err: error }, 'download: could not record how a delivery ended');
    });
  };
  res.once('finish', () => record(true));
  // 'close' without 'finish' (checked a turn later, as some servers emit them back to back): it stopped part-way.
  res.once('close', () => setImmediate(() => record(res.writableFinished)));
}

async function deliverRemote(ctx: DeliveryContext, d: Delivery & { fileName: string }) {
  const { request, reply } = d;
  const forward: Record<string, string> = {};
  if (typeof request.headers.range === 'string') forward.range = request.headers.range;
  if (typeof request.headers['if-range'] === 'string') forward['if-range'] = request.headers['if-range'];
  const delivery = await resolveRemote(ctx, d.source, d.fileName, forward);
  if (d.head) {
    if (delivery.kind === 'proxy') delivery.response.destroy();
    return delivery.kind === 'redirect' ? reply.redirect(delivery.url, 302) : reply.send();
  }
  try {
    await d.use();
  } catch (error) {
    if (delivery.kind === 'proxy') delivery.response.destroy();
    throw error;
  }
  if (delivery.kind === 'redirect') {
    await d.log('started', { delivery: 'redirect' });
    return reply.redirect(delivery.url, 302);
  }
  return proxy(ctx, d, delivery.response);
}

/** Passes a provider's answer through: status, length and range headers, and the bytes; never its other headers. */
async function proxy(ctx: DeliveryContext, d: Delivery, upstream: IncomingMessage) {
  const { reply } = d;
  const length = Number(upstream.headers['content-length'] ?? Number.NaN);
  const rangeStart = /^bytes (\d+)-/.exec(upstream.headers['content-range'] ?? '')?.[1];
  const logId = await d.log('started', {
    delivery: 'stream', bytesExpected: Number.isFinite(length) ? length : null, rangeStart: rangeStart ? Number(rangeStart) : null,
  });
  reply.code(upstream.statusCode === 206 ? 206 : 200).type(d.contentType);
  for (const name of ['content-length', 'content-range', 'accept-ranges', 'etag', 'last-modified'] as const) {
    const value = upstream.headers[name];
    if (typeof value === 'string') reply.header(name, value);
  }
  let received = 0;
  upstream.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  track(ctx, d, logId, Number.isFinite(length) ? length : null, () => received - upstream.readableLength);
  return reply.send(upstream);
}
