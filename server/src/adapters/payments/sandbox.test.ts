import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildSandboxEvent,
  createSandboxProvider,
  signSandboxPayload,
  WebhookVerificationError,
  type SandboxRefundRequest,
} from './index.js';

const secret = 'whsec_sandbox_test_secret_0123456789';
const now = new Date('2030-01-01T12:00:00Z');
const t = Math.floor(now.getTime() / 1000);
const data = { sessionId: 'cs_sandbox_0123456789abcdef01234567', orderId: 'ord_abc', amount: 49_900, currency: 'INR', paymentId: 'pay_sandbox_1' };

function provider(delivered: SandboxRefundRequest[] = []) {
  return createSandboxProvider({
    secret,
    publicUrl: 'https://shop.example/',
    deliver: async (request) => {
      delivered.push(request);
    },
  });
}

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    return (error as WebhookVerificationError).reason;
  }
  throw new Error('expected a WebhookVerificationError');
}

describe('sandbox provider', () => {
  it('opens a session on our own hosted page without any network', async () => {
    const session = await provider().createCheckout({
      orderId: 'ord_abc', amount: 49_900, currency: 'INR', customerEmail: 'a@example.com',
      lineItems: [{ name: 'Theme', amount: 49_900, quantity: 1 }],
      successUrl: 'https://shop.example/ok', cancelUrl: 'https://shop.example/no', expiresAt: new Date(Date.now() + 3_600_000),
    });
    expect(session.sessionId).toMatch(/^cs_sandbox_[0-9a-f]{24}$/);
    expect(session.url).toBe(`https://shop.example/pay/sandbox/${session.sessionId}`);
  });

  it('signs exactly as API.md says: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>', () => {
    const raw = '{"id":"evt_1"}';
    const expected = createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex');
    expect(signSandboxPayload(secret, raw, t)).toBe(`t=${t},v1=${expected}`);
  });

  it('verifies what it signed and normalises each event type', () => {
    for (const type of ['payment.succeeded', 'payment.failed', 'payment.refunded', 'payment.disputed'] as const) {
      const body = buildSandboxEvent(type, data, new Date((t - 10) * 1000));
      expect(body.id).toMatch(/^evt_[0-9a-z]{20}$/);
      const raw = JSON.stringify(body);
      const event = provider().verifyWebhook(Buffer.from(raw), { 'sandbox-signature': signSandboxPayload(secret, raw, t) }, now);
      expect(event).toEqual({
        provider: 'sandbox', eventId: body.id, type, providerType: type, orderId: 'ord_abc', sessionId: data.sessionId,
        paymentId: 'pay_sandbox_1', amount: 49_900, currency: 'INR', occurredAt: new Date((t - 10) * 1000),
      });
    }
  });

  it('accepts the header under any case, with spaces, and when any one of several v1 signatures matches (rotation)', () => {
    const raw = JSON.stringify(buildSandboxEvent('payment.succeeded', data));
    const good = signSandboxPayload(secret, raw, t).split(',v1=')[1];
    const other = signSandboxPayload('whsec_old_secret_000000000', raw, t).split(',v1=')[1];
    const event = provider().verifyWebhook(Buffer.from(raw), { 'Sandbox-Signature': `t=${t}, v1=${other}, v1=${good}` }, now);
    expect(event.type).toBe('payment.succeeded');
  });

  it('acknowledges an unknown event type as ignored (verified, nothing to do)', () => {
    const raw = JSON.stringify({ id: 'evt_x', type: 'payment.pending', created: t, data: {} });
    const event = provider().verifyWebhook(Buffer.from(raw), { 'sandbox-signature': signSandboxPayload(secret, raw, t) }, now);
    expect(event).toMatchObject({ type: 'ignored', providerType: 'payment.pending', eventId: 'evt_x', orderId: null, amount: null });
  });

  describe('refuses', () => {
    const raw = JSON.stringify(buildSandboxEvent('payment.succeeded', data));
    const verify = (body: string, headers: Record<string, string | string[] | undefined>, at = now) =>
      reasonOf(() => provider().verifyWebhook(Buffer.from(body), headers, at));

    it('a tampered body', () => {
      const header = signSandboxPayload(secret, raw, t);
      expect(verify(raw.replace('49900', '100'), { 'sandbox-signature': header })).toBe('signature does not match the body');
    });
    it('a signature made with another secret', () => {
      expect(verify(raw, { 'sandbox-signature': signSandboxPayload('whsec_someone_else_000000', raw, t) })).toBe('signature does not match the body');
    });
    it('a timestamp older than 300 s, and one more than 300 s ahead', () => {
      expect(verify(raw, { 'sandbox-signature': signSandboxPayload(secret, raw, t - 301) })).toBe('timestamp is 301 s old (at most 300 s allowed)');
      expect(verify(raw, { 'sandbox-signature': signSandboxPayload(secret, raw, t + 301) })).toBe('timestamp is 301 s in the future');
      // The edges are allowed.
      expect(provider().verifyWebhook(Buffer.from(raw), { 'sandbox-signature': signSandboxPayload(secret, raw, t - 300) }, now).type).toBe('payment.succeeded');
      expect(provider().verifyWebhook(Buffer.from(raw), { 'sandbox-signature': signSandboxPayload(secret, raw, t + 300) }, now).type).toBe('payment.succeeded');
    });
    it('a missing header', () => {
      expect(verify(raw, {})).toBe('missing Sandbox-Signature header');
      expect(verify(raw, { 'sandbox-signature': '' })).toBe('missing Sandbox-Signature header');
    });
    it('a malformed header', () => {
      const v1 = signSandboxPayload(secret, raw, t).split(',v1=')[1];
      for (const header of [`v1=${v1}`, `t=${t}`, `t=abc,v1=${v1}`, `t=${t},v1=${v1!.slice(2)}`, `t=${t},v0=${v1}`, 'garbage']) {
        expect(verify(raw, { 'sandbox-signature': header })).toMatch(/^malformed Sandbox-Signature header/);
      }
      expect(verify(raw, { 'sandbox-signature': [signSandboxPayload(secret, raw, t), signSandboxPayload(secret, raw, t)] }))
        .toBe('more than one Sandbox-Signature header');
    });
    it('a body that is not JSON, even when correctly signed', () => {
      expect(verify('not json', { 'sandbox-signature': signSandboxPayload(secret, 'not json', t) })).toBe('body is not JSON');
    });
    it('a body of the wrong shape, naming the field', () => {
      const wrong = JSON.stringify({ ...buildSandboxEvent('payment.succeeded', data), data: { ...data, amount: '49900', currency: 'inr' } });
      const reason = verify(wrong, { 'sandbox-signature': signSandboxPayload(secret, wrong, t) });
      expect(reason).toMatch(/^body has the wrong shape: /);
      expect(reason).toContain('data.amount');
      expect(reason).toContain('data.currency');
      const noId = JSON.stringify({ type: 'payment.succeeded', created: t, data });
      expect(verify(noId, { 'sandbox-signature': signSandboxPayload(secret, noId, t) })).toMatch(/^body has the wrong shape: id: /);
    });
  });

  it('refund asks the payments module to deliver a payment.refunded event', async () => {
    const delivered: SandboxRefundRequest[] = [];
    await provider(delivered).refund({ paymentId: 'pay_sandbox_1', orderId: 'ord_abc' });
    await provider(delivered).refund({ paymentId: 'pay_sandbox_1', orderId: 'ord_abc', amount: 100 });
    expect(delivered).toEqual([
      { type: 'payment.refunded', orderId: 'ord_abc', paymentId: 'pay_sandbox_1', amount: null },
      { type: 'payment.refunded', orderId: 'ord_abc', paymentId: 'pay_sandbox_1', amount: 100 },
    ]);
  });
});
