import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, eventually, signUp, type TestApp } from '../../../test/helpers.js';
import { createProduct } from '../../../test/support/uploads.js';

let t: TestApp & { dropDatabase(): Promise<void> };
let admin: { headers: Record<string, string> };

beforeAll(async () => {
  t = await createTestApp();
  admin = await asAdmin(t.app);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await t.close();
  await t.dropDatabase();
});

describe('free checkout', () => {
  it('fulfils a free product at once, with a licence', async () => {
    const product = await createProduct(t.app, admin.headers, { type: 'freebie', price: 0 });
    const buyer = await signUp(t.app);
    const response = await t.app.inject({ method: 'POST', url: '/api/checkout', headers: buyer.headers, payload: { items: [{ productSlug: product.slug }] } });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json();
    expect(body.payment).toBeNull();
    expect(body.order.status).toBe('fulfilled');
    expect(body.order.items[0].licenseId).toMatch(/^lic_/);
  });
});

describe('paid checkout through the sandbox', () => {
  it('pays, receives the signed webhook and fulfils', async () => {
    const product = await createProduct(t.app, admin.headers, { type: 'downloadable', price: 49900 });
    const buyer = await signUp(t.app);
    const response = await t.app.inject({ method: 'POST', url: '/api/checkout', headers: buyer.headers, payload: { items: [{ productSlug: product.slug }] } });
    expect(response.statusCode, response.body).toBe(201);
    const { order, payment } = response.json();
    expect(order.status).toBe('pending');
    expect(payment.url).toContain(`/pay/sandbox/${payment.sessionId}`);
    const session = await t.app.inject({ method: 'GET', url: `/api/pay/sandbox/${payment.sessionId}` });
    expect(session.json().amount).toBe(49900);
    const paid = await t.app.inject({ method: 'POST', url: `/api/pay/sandbox/${payment.sessionId}/pay` });
    expect(paid.statusCode, paid.body).toBe(200);
    let status = '';
    expect(await eventually(async () => {
      const current = await t.app.inject({ method: 'GET', url: `/api/orders/${order.id}`, headers: buyer.headers });
      status = current.json().status;
      return status === 'fulfilled';
    }, 10_000)).toBe(true);
  });
});
