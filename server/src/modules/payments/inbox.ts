import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { WebhookVerificationError, type PaymentEvent, type PaymentProviderName } from '../../adapters/payments/types.js';
import type { Db } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit, withDeferredAudit } from '../../lib/audit.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { RateLimiter } from '../../lib/rate-limit.js';
import type { Commerce } from '../checkout/context.js';
import { sendReceiptsSoon } from '../checkout/receipts.js';
import { applyPaymentEvent } from './apply.js';
import { webhookEvents } from './tables.js';

export const WEBHOOK_JOB = 'webhook.process';
/** Refused deliveries kept per client address per minute. */
const refusals = new RateLimiter(60, 60_000);
/** The raw body kept for the admin's eye; a larger delivery is stored cut short. */
const PAYLOAD_CAP = 64 * 1024;
/** Processing attempts before an event is marked `failed` and left for the admin. */
const MAX_ATTEMPTS = 10;

type Headers = Record<string, string | string[] | undefined>;

/**
 * A delivery to POST /api/webhooks/{provider}: verified, stored once by its provider event id, acknowledged,
 * and handed to the job queue. Returns what to answer. A duplicate answers 200 and changes nothing; a delivery
 * that fails verification is kept with its reason and answers 400.
 */
export async function receiveWebhook(commerce: Commerce, providerName: string, rawBody: Buffer, headers: Headers, ip: string) {
  const provider = commerce.providers.get(providerName as PaymentProviderName);
  if (!provider) throw notFound('Payment provider');
  const payload = rawBody.subarray(0, PAYLOAD_CAP).toString('utf8');
  let event: PaymentEvent;
  try {
    event = provider.verifyWebhook(rawBody, headers);
  } catch (error) {
    const reason = error instanceof WebhookVerificationError ? error.reason : 'The event could not be read';
    // Genuine gateways are never throttled (a busy shop's burst is legitimate); an address that keeps sending
    // deliveries that fail verification is, and its flood is not stored.
    const limit = refusals.hit(ip);
    if (!limit.allowed) {
      throw new AppError('RATE_LIMITED', 'Too many deliveries that failed verification', { headers: { 'retry-after': String(limit.resetSeconds) } });
    }
    await commerce.db.insert(webhookEvents).values({ id: newId('event'), provider: provider.name, status: 'rejected', payload, error: reason });
    throw new AppError('WEBHOOK_INVALID', reason, { status: 400 });
  }
  const inserted = await commerce.db.insert(webhookEvents).values({
    id: newId('event'),
    provider: provider.name,
    providerEventId: event.eventId,
    type: event.providerType,
    status: 'received',
    orderId: event.orderId,
    event: { ...event, occurredAt: event.occurredAt.toISOString() },
    payload,
  }).onConflictDoNothing().returning({ id: webhookEvents.id });
  if (inserted.length === 0) return { received: true, duplicate: true };
  processSoon(commerce, inserted[0]!.id);
  return { received: true, duplicate: false };
}

/**
 * Processing starts in this process as soon as the event is stored; if it fails, or too much is already waiting
 * here, the job queue takes it (with retries and backoff). If even that fails, the sweep finds the stored event.
 */
function processSoon(commerce: Commerce, id: string) {
  const toQueue = () => commerce.jobs.send(WEBHOOK_JOB, { id }).catch((error: unknown) => commerce.log('webhook job not queued; the sweep will pick it up', error));
  const started = commerce.local.tryRun(() => processWebhookEvent(commerce, id), (error) => {
    commerce.log(`webhook event ${id} failed; queued for retry`, error);
    void toQueue();
  });
  if (!started) void toQueue();
}

const webhookActor = (provider: string, eventId: string): Actor => ({ user: null, ip: null, userAgent: `webhook:${provider}`, requestId: eventId });

/**
 * Processes one stored event exactly once: the event row is locked and its status checked and changed in the
 * same transaction as everything the event does (payment, fulfilment, refund), so concurrent workers, retries
 * and a crash half-way (the transaction rolls back, the job comes back) all end with one effect.
 */
export async function processWebhookEvent(commerce: Commerce, id: string): Promise<void> {
  let fulfilled = false;
  try {
    await withDeferredAudit(commerce.db, async (tx) => {
      const [row] = await tx.select().from(webhookEvents).where(eq(webhookEvents.id, id)).for('update');
      if (!row || row.status !== 'received' || !row.event) return;
      const event = { ...(row.event as unknown as PaymentEvent), occurredAt: new Date(String(row.event.occurredAt)) };
      const outcome = await applyPaymentEvent(tx, commerce, event, webhookActor(row.provider, row.providerEventId ?? row.id));
      if (row.replayedFrom === 'processed' && outcome.status === 'ignored') {
        // A replay of an event that did its work finds nothing to do: the record of that work stays as it was.
        await tx.update(webhookEvents).set({ status: 'processed', replayNote: outcome.note ?? null, attempts: row.attempts + 1 })
          .where(eq(webhookEvents.id, id));
        return;
      }
      await tx.update(webhookEvents).set({
        status: outcome.status, orderId: outcome.orderId ?? row.orderId, error: outcome.note ?? null,
        attempts: row.attempts + 1, processedAt: outcome.status === 'deferred' ? null : new Date(),
        ...(row.replayedFrom ? { replayNote: outcome.note ?? 'Applied' } : {}),
      }).where(eq(webhookEvents.id, id));
      fulfilled = outcome.fulfilled === true;
    });
  } catch (error) {
    // Rolled back: count the attempt and keep the reason where the admin sees it, then let the queue retry.
    // After MAX_ATTEMPTS the event is `failed`: no sweep picks it up again; the admin fixes the cause and replays it.
    await commerce.db.update(webhookEvents)
      .set({
        attempts: sql`${webhookEvents.attempts} + 1`,
        status: sql`case when ${webhookEvents.attempts} + 1 >= ${MAX_ATTEMPTS} then 'failed' else ${webhookEvents.status} end`,
        error: `Processing failed: ${(error as Error).message}`.slice(0, 1000),
      })
      .where(and(eq(webhookEvents.id, id), eq(webhookEvents.status, 'received'))).catch(() => {});
    throw error;
  }
  if (fulfilled) sendReceiptsSoon(commerce);
}


/**
 * Stored events that never reached a worker (the process died between storing and queueing) or whose worker
 * died mid-way. At start-up every unprocessed event is queued again at once (`olderThanSeconds` 0): a job a
 * killed process held would otherwise wait for its expiry. Queuing twice is harmless: processing is exactly once.
 */
export async function sweepUnprocessed(commerce: Commerce, olderThanSeconds = 30): Promise<number> {
  const stale = await commerce.db.select({ id: webhookEvents.id }).from(webhookEvents)
    .where(and(eq(webhookEvents.status, 'received'), sql`${webhookEvents.receivedAt} <= now() - make_interval(secs => ${olderThanSeconds})`))
    .orderBy(webhookEvents.receivedAt).limit(500);
  for (const { id } of stale) await commerce.jobs.send(WEBHOOK_JOB, { id }, { singletonKey: id });
  return stale.length;
}

/** Admin: run a stored, verified event through processing again. What it already did is not done twice. */
export async function replayWebhookEvent(commerce: Commerce, id: string, actor: Actor) {
  await commerce.db.transaction(async (tx) => {
    const [row] = await tx.select().from(webhookEvents).where(eq(webhookEvents.id, id)).for('update');
    if (!row) throw notFound('Webhook event');
    if (!row.event) throw new AppError('CONFLICT', 'A delivery that failed verification cannot be replayed');
    await tx.update(webhookEvents).set({ status: 'received', replayedAt: new Date(), replayedFrom: row.status, replayNote: null })
      .where(eq(webhookEvents.id, id));
    await recordAudit(tx, actor, { action: 'webhook.replay', entityType: 'webhook_event', entityId: id, before: { status: row.status }, after: { status: 'received' } });
  });
  await commerce.jobs.send(WEBHOOK_JOB, { id });
  return getWebhookEvent(commerce.db, id);
}

type EventRow = typeof webhookEvents.$inferSelect;
const presentEvent = (row: EventRow, withPayload = false) => ({
  id: row.id,
  provider: row.provider as PaymentProviderName,
  providerEventId: row.providerEventId,
  type: row.type,
  status: row.status as 'received' | 'processed' | 'deferred' | 'ignored' | 'rejected' | 'failed',
  orderId: row.orderId,
  attempts: row.attempts,
  error: row.error,
  receivedAt: row.receivedAt,
  processedAt: row.processedAt,
  replayedAt: row.replayedAt,
  replayNote: row.replayNote,
  ...(withPayload ? { payload: row.payload } : {}),
});

export async function listWebhookEvents(db: Db, input: { page: number; perPage: number; provider?: string; status?: string; orderId?: string }) {
  const conditions: (SQL | undefined)[] = [
    input.provider ? eq(webhookEvents.provider, input.provider) : undefined,
    input.status ? eq(webhookEvents.status, input.status) : undefined,
    input.orderId ? eq(webhookEvents.orderId, input.orderId) : undefined,
  ];
  const where = and(...conditions);
  const [rows, [total]] = await Promise.all([
    db.select().from(webhookEvents).where(where).orderBy(desc(webhookEvents.receivedAt), desc(webhookEvents.id))
      .limit(input.perPage).offset((input.page - 1) * input.perPage),
    db.select({ value: sql<number>`count(*)::int` }).from(webhookEvents).where(where),
  ]);
  return { data: rows.map((r) => presentEvent(r)), meta: { page: input.page, perPage: input.perPage, total: total?.value ?? 0 } };
}

export async function getWebhookEvent(db: Db, id: string) {
  const [row] = await db.select().from(webhookEvents).where(eq(webhookEvents.id, id));
  if (!row) throw notFound('Webhook event');
  return presentEvent(row, true);
}
