import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { newId } from '../../lib/ids.js';
import { describeIssues, headerValue, unixSeconds } from './webhook-helpers.js';
import { WebhookVerificationError, type PaymentEvent, type PaymentProvider } from './types.js';

/**
 * The built-in offline gateway. It speaks a real webhook protocol (API.md, "Checkout, payments, orders"):
 * `Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. The hosted page
 * (`/pay/sandbox/{sessionId}`) and the session state live in the payments module; this file only names
 * sessions, signs and verifies.
 */

export const SANDBOX_SIGNATURE_HEADER = 'Sandbox-Signature';
/** How far a signed timestamp may be from our clock, either way. */
export const SANDBOX_TOLERANCE_SECONDS = 300;

export const sandboxEventTypes = ['payment.succeeded', 'payment.failed', 'payment.refunded', 'payment.disputed'] as const;
export type SandboxEventType = (typeof sandboxEventTypes)[number];

const sandboxData = z.object({
  sessionId: z.string().min(1),
  orderId: z.string().min(1),
  amount: z.number().int().min(0),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an upper-case ISO 4217 code'),
  paymentId: z.string().min(1).optional(),
});
export type SandboxEventData = z.infer<typeof sandboxData>;

/** `type` stays a plain string here so that a type we do not know is acknowledged as `ignored`, not refused. */
const sandboxEnvelope = z.object({
  id: z.string().startsWith('evt_'),
  type: z.string().min(1),
  created: z.number().int().positive(),
  data: z.unknown(),
});

export interface SandboxEventBody {
  id: string;
  type: SandboxEventType;
  /** Unix seconds. */
  created: number;
  data: SandboxEventData;
}

/** One event body, built the same way by the payments module (Pay / Decline / refund) and by tests. */
export function buildSandboxEvent(type: SandboxEventType, data: SandboxEventData, created: Date = new Date()): SandboxEventBody {
  return { id: newId('event'), type, created: unixSeconds(created), data };
}

/** The `Sandbox-Signature` header value for `rawBody` signed at `t` (unix seconds). */
export function signSandboxPayload(secret: string, rawBody: string, t: number): string {
  return `t=${t},v1=${hmacHex(secret, t, rawBody)}`;
}

function hmacHex(secret: string, t: number | string, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest('hex');
}

/**
 * What the sandbox gateway is asked to announce when a refund is requested. Only the payments module knows the
 * rest of the event (session id, currency, the full amount when `amount` is null): it completes the body with
 * `buildSandboxEvent('payment.refunded', …)`, signs it and enqueues its delivery to `/api/webhooks/sandbox`,
 * exactly as a real gateway would call back later.
 */
export interface SandboxRefundRequest {
  type: 'payment.refunded';
  orderId: string;
  paymentId: string;
  /** Minor units; null refunds the whole payment. */
  amount: number | null;
}
export type SandboxDeliver = (request: SandboxRefundRequest) => Promise<void>;

export interface SandboxSettings {
  secret: string;
  /** Where the public reaches us (env.PUBLIC_URL); the hosted page is `${publicUrl}/pay/sandbox/{sessionId}`. */
  publicUrl: string;
  deliver: SandboxDeliver;
}

export function createSandboxProvider(settings: SandboxSettings): PaymentProvider {
  const base = settings.publicUrl.replace(/\/+$/, '');
  return {
    name: 'sandbox',
    async createCheckout() {
      const sessionId = `cs_sandbox_${randomBytes(12).toString('hex')}`;
      return { sessionId, url: `${base}/pay/sandbox/${sessionId}` };
    },
    verifyWebhook(rawBody, headers, now = new Date()) {
      return verifySandboxWebhook(settings.secret, rawBody, headers, now);
    },
    async refund({ paymentId, amount, orderId }) {
      await settings.deliver({ type: 'payment.refunded', orderId, paymentId, amount: amount ?? null });
    },
  };
}

const headerPattern = /^t=(\d{1,12})((?:,v1=[0-9a-f]{64})+)$/;

export function verifySandboxWebhook(
  secret: string,
  rawBody: Buffer,
  headers: Record<string, string | string[] | undefined>,
  now: Date = new Date(),
): PaymentEvent {
  const header = headerValue(headers, SANDBOX_SIGNATURE_HEADER);
  if (header === undefined) throw new WebhookVerificationError('missing Sandbox-Signature header');
  const parsed = headerPattern.exec(header.replace(/\s+/g, ''));
  if (!parsed) throw new WebhookVerificationError('malformed Sandbox-Signature header (expected t=<unix seconds>,v1=<64 hex>)');
  const t = Number(parsed[1]);
  const expected = Buffer.from(hmacHex(secret, parsed[1]!, rawBody), 'hex');
  // Several v1 values are allowed (as Stripe does) so that a secret can be rotated without dropping deliveries.
  const signatures = parsed[2]!.split(',v1=').slice(1).map((hex) => Buffer.from(hex, 'hex'));
  if (!signatures.some((candidate) => timingSafeEqual(candidate, expected))) {
    throw new WebhookVerificationError('signature does not match the body');
  }
  const age = unixSeconds(now) - t;
  if (age > SANDBOX_TOLERANCE_SECONDS) throw new WebhookVerificationError(`timestamp is ${age} s old (at most ${SANDBOX_TOLERANCE_SECONDS} s allowed)`);
  if (-age > SANDBOX_TOLERANCE_SECONDS) throw new WebhookVerificationError(`timestamp is ${-age} s in the future`);

  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('body is not JSON');
  }
  const envelope = sandboxEnvelope.safeParse(json);
  if (!envelope.success) throw new WebhookVerificationError(`body has the wrong shape: ${describeIssues(envelope.error)}`);
  const { id, type, created } = envelope.data;
  const base = { provider: 'sandbox' as const, eventId: id, providerType: type, occurredAt: new Date(created * 1000) };
  if (!(sandboxEventTypes as readonly string[]).includes(type)) {
    return { ...base, type: 'ignored', orderId: null, sessionId: null, paymentId: null, amount: null, currency: null };
  }
  const data = sandboxData.safeParse(envelope.data.data);
  if (!data.success) throw new WebhookVerificationError(`body has the wrong shape: ${describeIssues(data.error, 'data')}`);
  return {
    ...base,
    type: type as SandboxEventType,
    orderId: data.data.orderId,
    sessionId: data.data.sessionId,
    paymentId: data.data.paymentId ?? null,
    amount: data.data.amount,
    currency: data.data.currency,
  };
}
