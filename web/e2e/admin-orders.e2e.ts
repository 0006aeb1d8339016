import { afterAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { asAdmin, baseURL, closeBrowser, newPage, uniqueEmail, visit } from './support'

afterAll(closeBrowser)

/** A word no other test uses, for coupon codes. */
function stamp() {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`.toUpperCase()
}

interface Order { id: string; status: string; subtotal: number; discount: number; total: number; couponCode: string | null }
interface AdminOrder extends Order { events: { type: string }[] }
interface WebhookEvent { id: string; type: string | null; status: string; orderId: string | null }

/** JSON from the API, failing the test with the body when the status is not the expected one. */
async function call<T>(path: string, init: RequestInit & { cookie?: string } = {}, expected = 200): Promise<{ body: T; res: Response }> {
  const { cookie, ...rest } = init
  const res = await fetch(`${baseURL}${path}`, {
    ...rest,
    headers: { origin: baseURL, ...(rest.body ? { 'content-type': 'application/json' } : {}), ...(cookie ? { cookie } : {}), ...(rest.headers ?? {}) },
  })
  const text = await res.text()
  expect(res.status, `${init.method ?? 'GET'} ${path}: ${text}`).toBe(expected)
  return { body: (text ? JSON.parse(text) : null) as T, res }
}

/**
 * A customer buys a paid demo product with `couponCode`, through the API as the storefront would: sign up,
 * check out with the sandbox provider, press Pay on the sandbox gateway, wait for the signed webhook to fulfil it.
 */
async function customerBuysWithCoupon(couponCode: string) {
  const email = uniqueEmail('e2e-buyer')
  const { res } = await call('/api/auth/sign-up/email', { method: 'POST', body: JSON.stringify({ name: 'Order Buyer', email, password: 'buyer password 123' }) })
  const cookie = res.headers.getSetCookie().map(c => c.split(';')[0]).join('; ')
  expect(cookie).toContain('session_token')

  const { body: checkout } = await call<{ order: Order; payment: { sessionId: string } | null }>('/api/checkout', {
    method: 'POST',
    cookie,
    body: JSON.stringify({ items: [{ productSlug: '2048-game-premium' }], provider: 'sandbox', couponCode: couponCode.toLowerCase() }),
  }, 201)
  // ₹99.00 with 25% off: ₹24.75 off, ₹74.25 to pay.
  expect(checkout.order).toMatchObject({ status: 'pending', subtotal: 9900, discount: 2475, total: 7425, couponCode })
  expect(checkout.payment).not.toBeNull()

  await call(`/api/pay/sandbox/${checkout.payment!.sessionId}/pay`, { method: 'POST' })
  const deadline = Date.now() + 20_000
  let order = checkout.order
  while (order.status !== 'fulfilled' && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 250))
    order = (await call<Order>(`/api/orders/${order.id}`, { cookie })).body
  }
  expect(order.status).toBe('fulfilled')
  return { orderId: order.id, email }
}

async function adminApi<T>(page: Page, path: string): Promise<T> {
  const res = await page.request.get(path)
  expect(res.status(), path).toBe(200)
  return await res.json() as T
}

describe('admin orders, payments and coupons', () => {
  it('creates a coupon, finds the discounted order, refunds it, and a replayed payment webhook changes nothing', async () => {
    const page = await asAdmin(await newPage())
    const code = `E2E${stamp()}`

    // ——— Coupons: create one from the page ———
    await visit(page, '/admin/coupons')
    await page.getByTestId('coupons-new').click()
    await page.getByTestId('coupon-form').waitFor()
    await page.getByTestId('coupon-code').fill(code.toLowerCase())
    await page.getByTestId('coupon-description').fill('Browser test promotion')
    await page.getByTestId('coupon-value').fill('25')
    await page.getByTestId('coupon-value').press('Tab')
    await page.getByTestId('coupon-max-per-customer').fill('1')
    await page.getByTestId('coupon-max-per-customer').press('Tab')
    await page.getByTestId('coupon-submit').click()
    await page.getByTestId('coupon-form').waitFor({ state: 'detached' })
    await page.getByTestId(`coupon-row-${code}`).waitFor()
    expect(await page.getByTestId(`coupon-value-${code}`).textContent()).toBe('25%')
    expect((await page.getByTestId(`coupon-uses-${code}`).textContent())?.replace(/\s+/g, ' ').trim()).toBe('0 / ∞')

    // ——— A customer buys with it (API, as the storefront does) ———
    const { orderId, email } = await customerBuysWithCoupon(code)

    // ——— Orders: the order is listed with its discount ———
    await visit(page, `/admin/orders?search=${encodeURIComponent(email)}`)
    const row = page.getByTestId(`order-row-${orderId}`)
    await row.waitFor()
    expect(await page.getByTestId(`order-discount-${orderId}`).textContent()).toContain('₹24.75')
    await page.locator(`[data-testid="order-status-${orderId}"][data-status="fulfilled"]`).waitFor()
    expect(await page.getByTestId('orders-table').textContent()).toContain('₹74.25')

    // ——— The order: totals and the timeline ———
    await row.click()
    await page.waitForURL(url => url.pathname === `/admin/orders/${orderId}`)
    await page.getByTestId('order-timeline').waitFor()
    for (const type of ['created', 'payment_session', 'paid', 'fulfilled']) await page.getByTestId(`timeline-${type}`).waitFor()
    expect(await page.getByTestId('order-coupon').textContent()).toContain(code)
    expect(await page.getByTestId('order-discount').textContent()).toContain('₹24.75')
    expect(await page.getByTestId('order-total').textContent()).toContain('₹74.25')
    await page.getByTestId('order-webhooks').getByText('payment.succeeded').waitFor()

    // ——— Refund: asked of the sandbox provider, confirmed by its refund webhook ———
    await page.getByTestId('order-refund').click()
    await page.getByTestId('reason-textarea').fill('The buyer asked for a refund (browser test)')
    await page.getByTestId('reason-confirm').click()
    await page.locator('[data-testid="order-detail"][data-status="refunded"]').waitFor({ timeout: 30_000 })
    await page.getByTestId('timeline-refund_requested').waitFor()
    await page.getByTestId('timeline-refunded').waitFor()
    expect(await page.getByTestId('order-status').getAttribute('data-status')).toBe('refunded')
    expect(await page.getByTestId('order-refund').count()).toBe(0)
    const refunded = await adminApi<AdminOrder>(page, `/api/admin/orders/${orderId}`)
    expect(refunded.status).toBe('refunded')

    // ——— Payments: the order's webhook deliveries, and a replay of the processed payment ———
    const events = (await adminApi<{ data: WebhookEvent[] }>(page, `/api/admin/webhook-events?orderId=${orderId}`)).data
    const payment = events.find(e => e.type === 'payment.succeeded')!
    expect(payment).toMatchObject({ status: 'processed', orderId })
    expect(events.find(e => e.type === 'payment.refunded')).toMatchObject({ status: 'processed', orderId })

    await visit(page, `/admin/payments?orderId=${orderId}`)
    await page.locator(`[data-testid="webhook-status-${payment.id}"][data-status="processed"]`).waitFor()
    expect(await page.getByTestId('payments-table').textContent()).toContain('payment.refunded')
    await page.getByTestId(`webhook-row-${payment.id}`).click()
    await page.getByTestId('webhook-detail').waitFor()
    await page.getByTestId('webhook-payload').getByText(orderId).first().waitFor()
    await page.getByTestId('webhook-replay').click()
    await page.getByTestId('confirm-ok').click()
    // Processed again: the order is already refunded, so nothing happens to it, and the event keeps its record.
    await page.getByTestId('webhook-replay-note').waitFor({ timeout: 20_000 })
    expect(await page.getByTestId('webhook-replay-note').textContent()).toContain('already refunded')
    await page.locator('[data-testid="webhook-detail"][data-status="processed"]').waitFor()
    await page.locator(`[data-testid="webhook-status-${payment.id}"][data-status="processed"]`).waitFor()

    const after = await adminApi<AdminOrder>(page, `/api/admin/orders/${orderId}`)
    expect(after.status).toBe('refunded')
    expect(after.events.map(e => e.type)).toEqual(refunded.events.map(e => e.type))

    // The coupon counts the use.
    await visit(page, `/admin/coupons?search=${code}`)
    expect((await page.getByTestId(`coupon-uses-${code}`).textContent())?.replace(/\s+/g, ' ').trim()).toBe('1 / ∞')
  }, 120_000)

  it('shows why a delivery that failed verification cannot be replayed', async () => {
    // A forged delivery: stored as rejected, answered 400.
    const res = await fetch(`${baseURL}/api/webhooks/sandbox`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sandbox-signature': 't=1,v1=00' },
      body: JSON.stringify({ id: `evt_forged_${stamp()}`, type: 'payment.succeeded', data: { orderId: 'ord_none', amount: 1 } }),
    })
    expect(res.status).toBe(400)

    const page = await asAdmin(await newPage())
    const rejected = (await adminApi<{ data: WebhookEvent[] }>(page, '/api/admin/webhook-events?status=rejected&perPage=1')).data[0]!
    await visit(page, `/admin/payments?status=rejected&event=${rejected.id}`)
    await page.locator('[data-testid="webhook-detail"][data-status="rejected"]').waitFor()
    expect(await page.getByTestId('webhook-replay').isDisabled()).toBe(true)
    await page.getByTestId('webhook-replay-disabled-reason').waitFor()
    expect(await page.getByTestId('webhook-detail-error').textContent()).toMatch(/signature/i)
  }, 60_000)
})
