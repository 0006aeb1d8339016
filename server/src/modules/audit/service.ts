import { and, asc, count, desc, eq, gt, gte, like, lt, lte, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { chainHash, GENESIS_HASH } from '../../lib/audit.js';
import { auditEvents } from '../../lib/audit-tables.js';
import { AppError } from '../../lib/errors.js';
import { users } from '../auth/tables.js';

export interface AuditQuery {
  action?: string;
  entityType?: string;
  entityId?: string;
  actorId?: string;
  from?: Date;
  to?: Date;
  cursor?: string;
  limit: number;
}

const encodeCursor = (seq: number) => Buffer.from(String(seq)).toString('base64url');
function decodeCursor(cursor: string): number {
  const seq = Number(Buffer.from(cursor, 'base64url').toString());
  if (!Number.isSafeInteger(seq) || seq < 1) throw new AppError('VALIDATION_FAILED', 'The cursor is not valid', { details: [{ path: 'querystring.cursor', message: 'Invalid cursor' }] });
  return seq;
}

/** Newest first, filtered, paged by an opaque cursor; actors joined in the same query. */
export async function listAudit(db: Db, query: AuditQuery) {
  const filters: SQL[] = [];
  // `user.` finds every user action; a full name finds that action.
  if (query.action) filters.push(like(auditEvents.action, `${query.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  if (query.entityType) filters.push(eq(auditEvents.entityType, query.entityType));
  if (query.entityId) filters.push(eq(auditEvents.entityId, query.entityId));
  if (query.actorId) filters.push(eq(auditEvents.actorId, query.actorId));
  if (query.from) filters.push(gte(auditEvents.at, query.from));
  if (query.to) filters.push(lte(auditEvents.at, query.to));
  if (query.cursor) filters.push(lt(auditEvents.seq, decodeCursor(query.cursor)));
  const rows = await db
    .select({ event: auditEvents, actorName: users.name, actorEmail: users.email })
    .from(auditEvents)
    .leftJoin(users, eq(users.id, auditEvents.actorId))
    .where(filters.length ? and(...filters) : undefined)
    .orderBy(desc(auditEvents.seq))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  return {
    data: page.map(({ event, actorName, actorEmail }) => ({
      id: event.id,
      at: event.at,
      actor: event.actorId ? { id: event.actorId, name: actorName, email: actorEmail } : null,
      action: event.action,
      entityType: event.entityType,
      entityId: event.entityId,
      before: event.before,
      after: event.after,
      reason: event.reason,
      ip: event.ip,
      userAgent: event.userAgent,
      requestId: event.requestId,
    })),
    nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!.event.seq) : null,
  };
}

/**
 * Walks the whole chain in order, recomputing each hash. An edited row fails its own hash; a
 * deleted row breaks the link of the row after it. Reports the first broken row.
 */
export async function verifyChain(db: Db, batchSize = 1000): Promise<{ ok: boolean; checked: number; brokenAt?: string }> {
  let previous = GENESIS_HASH;
  let afterSeq = 0;
  let checked = 0;
  for (;;) {
    const batch = await db.select().from(auditEvents).where(gt(auditEvents.seq, afterSeq)).orderBy(asc(auditEvents.seq)).limit(batchSize);
    for (const row of batch) {
      if (row.prevHash !== previous || chainHash(row) !== row.hash) return { ok: false, checked, brokenAt: row.id };
      previous = row.hash;
      afterSeq = row.seq;
      checked++;
    }
    if (batch.length < batchSize) return { ok: true, checked };
  }
}

export async function countAuditEvents(db: Db) {
  const [row] = await db.select({ value: count() }).from(auditEvents);
  return row?.value ?? 0;
}
