import { desc, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { auditEvents } from './audit-tables.js';
import type { Actor } from './actor.js';
import { sha256 } from './crypto.js';
import { newId } from './ids.js';

/**
 * The names of every audited action, `<entity>.<verb>`, in one list so they stay consistent.
 * Later modules add theirs here.
 */
export const auditActions = [
  'kill_switch.engage',
  'kill_switch.release',
  'flag.create',
  'flag.update',
  'user.role_change',
  'user.ban',
  'user.unban',
  'user.create_admin',
  'product.create',
  'product.update',
  'product.delete',
  'category.create',
  'category.update',
  'category.delete',
  'plan.create',
  'plan.update',
  'plan.delete',
  'plan.reorder',
  'source.create',
  'source.upload',
  'source.update',
  'source.delete',
  'source.verify',
  'media.upload',
  'order.create',
  'order.pay',
  'order.fulfil',
  'order.fail',
  'order.cancel',
  'order.expire',
  'order.refund',
  'order.dispute',
  'order.flag',
  'order.refund_request',
  'coupon.create',
  'coupon.update',
  'coupon.delete',
  'webhook.replay',
  'license.issue',
  'license.grant',
  'license.update',
  'license.suspend',
  'license.reinstate',
  'license.reset_usage',
  'license.revoke',
  'license.activate',
  'license.deactivate',
  'license.release',
  'license.release_all',
  'license.lease_key_rotate',
  'api_key.create',
  'api_key.rotate',
  'api_key.revoke',
  'api_key.reveal',
  'api_key.update',
  'api_endpoint.create',
  'api_endpoint.update',
  'api_endpoint.delete',
  'service_token.create',
  'service_token.revoke',
  'api_credential.attach',
  'api_credential.update',
  'api_credential.reveal',
  'api_credential.delete',
  'download.revoke',
] as const;
export type AuditAction = (typeof auditActions)[number];

export interface AuditEntry {
  action: AuditAction;
  entityType: string;
  entityId?: string | null;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
}

export const GENESIS_HASH = '0'.repeat(64);
const CHAIN_LOCK = 727_002;

type ChainedFields = Omit<typeof auditEvents.$inferSelect, 'seq' | 'hash'>;

/** The hash of one row: its canonical content chained to the previous row's hash. */
export function chainHash(row: ChainedFields): string {
  const content = canonical({
    id: row.id,
    at: row.at.toISOString(),
    actorId: row.actorId,
    action: row.action,
    entityType: row.entityType,
    entityId: row.entityId,
    before: row.before ?? null,
    after: row.after ?? null,
    reason: row.reason,
    ip: row.ip,
    userAgent: row.userAgent,
    requestId: row.requestId,
  });
  return sha256(`${row.prevHash}\n${content}`);
}

/** Transactions whose audit events are held back and appended together just before they commit. */
const deferred = new WeakMap<object, ChainedFields[]>();
/** Savepoints (nested transactions) share their parent's session: the buffer is keyed by it. */
const sessionOf = (tx: Tx): object => (tx as unknown as { session: object }).session;

/**
 * Appends one event to the chain. Call it inside the transaction that makes the change, so the
 * change and its record commit or roll back together. The transaction-scoped lock orders appends.
 * Inside `withDeferredAudit` the event is buffered and appended when that transaction's work is done.
 */
export async function recordAudit(tx: Tx, actor: Actor, entry: AuditEntry): Promise<string> {
  const row: Omit<ChainedFields, 'prevHash'> = {
    id: newId('audit'),
    at: new Date(),
    actorId: actor.user?.id ?? null,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    before: toJson(entry.before),
    after: toJson(entry.after),
    reason: entry.reason ?? null,
    ip: actor.ip,
    userAgent: actor.userAgent,
    requestId: actor.requestId,
  };
  const buffer = deferred.get(sessionOf(tx));
  if (buffer) buffer.push({ ...row, prevHash: '' });
  else await appendToChain(tx, [{ ...row, prevHash: '' }]);
  return row.id;
}

/** Takes the chain lock, reads the head once and appends `rows` in order, in one insert. */
async function appendToChain(tx: Tx, rows: ChainedFields[]) {
  if (rows.length === 0) return;
  await tx.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`);
  const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  let prevHash = last?.hash ?? GENESIS_HASH;
  const values = rows.map((row) => {
    const chained = { ...row, prevHash };
    prevHash = chainHash(chained);
    return { ...chained, hash: prevHash };
  });
  await tx.insert(auditEvents).values(values);
}

/**
 * Runs `work` in a transaction whose audit events are appended at its end. The chain lock is then held only
 * for that final insert, not for the whole of the work: busy paths (webhook processing, fulfilment) stop
 * queueing behind each other on it.
 */
export async function withDeferredAudit<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    const buffer: ChainedFields[] = [];
    deferred.set(sessionOf(tx), buffer);
    try {
      const result = await work(tx);
      await appendToChain(tx, buffer);
      return result;
    } finally {
      deferred.delete(sessionOf(tx));
    }
  });
}

/** JSON as PostgreSQL's jsonb will give it back (dates as strings, no undefined). */
function toJson(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

/** JSON with object keys sorted at every depth: jsonb does not keep key order. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}
