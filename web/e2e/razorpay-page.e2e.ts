import { afterAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { allowConsoleError, baseURL, closeBrowser, newPage, signUp, uniqueEmail, visit, waitForHydration } from './support'

// Our Razorpay payment page (/pay/razorpay/{razorpayOrderId}), in a real browser. The e2e server has no Razorpay
// account (nor internet), so the page's session (GET /api/pay/razorpay/{id}) and Razorpay's Checkout.js are served by
// the test: the session describes a real pending order of the buyer's, and Checkout.js is a stand-in that records
// the options it was given. The app's CSP refuses Checkout.js's origin when Razorpay is not configured, so the pages
// that load the stand-in bypass CSP.

afterAll(closeBrowser)

const paidSlug = '2048-game-premium' // downloadable, ₹99.00 (server/src/modules/catalog/demo/data.ts)
const razorpayOrderId = 'order_E2eRazorpay01'
const checkoutJs = 'https://checkout.razorpay.com/**'

/** Checkout.js's stand-in: `new Razorpay(options).open()` records the options and how often the window opened. */
const fakeCheckoutJs = `window.__razorpay = { options: null, constructed: 0, opened: 0 };
window.Razorpay = function (options) {
  window.__razorpay.options = options;
  window.__razorpay.constructed++;
  this.open = function () { window.__razorpay.opened++; };
};`

interface RecordedOptions {
  key: string
  order_id: string
  amount: number
  currency: string
  name: string
  description: string
  prefill: { name: string; email: string }
  notes: Record<string, string>
  handler: (response: Record<string, string>) => void
  modal: { ondismiss: () => void }
}
type Recorder = { __razorpay: { options: RecordedOptions | null; constructed: number; opened: number } }

interface Buyer {
  page: Page
  name: string
  email: string
  order: { id: string; total: number; currency: string; expiresAt: string | null }
}

/** A signed-up buyer with a real pending order (through the sandbox provider: the session below stands in for Razorpay). */
async function buyer(options: { bypassCSP?: boolean } = {}): Promise<Buyer> {
  const page = await newPage(baseURL, options)
  const name = 'Razorpay Buyer'
  const email = uniqueEmail('razorpay')
  await signUp(page, { name, email, password: 'a long razorpay password' })
  const response = await page.request.post(`${baseURL}/api/checkout`, {
    headers: { origin: baseURL },
    data: { items: [{ productSlug: paidSlug }], provider: 'sandbox' },
  })
  expect(response.status(), await response.text()).toBe(201)
  const { order } = await response.json() as { order: Buyer['order'] }
  return { page, name, email, order }
}

function sessionOf(b: Buyer, overrides: Record<string, unknown> = {}) {
  return {
    keyId: 'rzp_test_e2e',
    razorpayOrderId,
    orderId: b.order.id,
    status: 'pending',
    amount: b.order.total,
    currency: b.order.currency,
    name: b.name,
    email: b.email,
    expiresAt: b.order.expiresAt,
    successUrl: `${baseURL}/checkout/success?order=${b.order.id}`,
    cancelUrl: `${baseURL}/checkout/canceled?order=${b.order.id}`,
    ...overrides,
  }
}

async function serveSession(page: Page, session: object) {
  await page.route('**/api/pay/razorpay/**', route => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(session) }))
}

async function serveCheckoutJs(page: Page) {
  await page.route(checkoutJs, route => route.fulfill({ status: 200, contentType: 'text/javascript', body: fakeCheckoutJs }))
}

const recorded = (page: Page) => page.evaluate(() => (window as unknown as Recorder).__razorpay)
const scriptTags = (page: Page) => page.locator('script[src="https://checkout.razorpay.com/v1/checkout.js"]').count()

describe('Razorpay payment page', () => {
  it('shows the order, opens Checkout.js with it, and goes to the success page after a payment or the cancel page on dismiss', async () => {
    const b = await buyer({ bypassCSP: true })
    const { page } = b
    await serveSession(page, sessionOf(b))
    await serveCheckoutJs(page)

    await visit(page, `/pay/razorpay/${razorpayOrderId}`)
    await page.locator('[data-testid="razorpay-gateway"][data-state="open"][data-script="ready"]').waitFor()
    expect(await page.getByTestId('razorpay-amount').textContent()).toContain('₹99.00')
    expect((await page.getByTestId('razorpay-order-id').textContent())?.trim()).toBe(b.order.id)
    expect(await page.getByTestId('razorpay-countdown').isVisible()).toBe(true)
    expect(await scriptTags(page)).toBe(1)

    await page.getByTestId('razorpay-pay').click()
    await expect.poll(async () => (await recorded(page)).opened).toBe(1)
    const options = await page.evaluate(() => {
      const o = (window as unknown as Recorder).__razorpay.options!
      return { ...o, handler: typeof o.handler, modal: { ondismiss: typeof o.modal.ondismiss } }
    })
    expect(options).toEqual({
      key: 'rzp_test_e2e',
      order_id: razorpayOrderId,
      amount: 9900,
      currency: 'INR',
      name: 'Mintreu',
      description: `Order ${b.order.id}`,
      prefill: { name: b.name, email: b.email },
      notes: { orderId: b.order.id },
      handler: 'function',
      modal: { ondismiss: 'function' },
    })
    // A second click opens a fresh window without loading Checkout.js again.
    await page.getByTestId('razorpay-pay').click()
    await expect.poll(async () => (await recorded(page)).opened).toBe(2)
    expect((await recorded(page)).constructed).toBe(2)
    expect(await scriptTags(page)).toBe(1)

    // Checkout.js reports a payment: the page only sends the buyer on; the webhook confirms the payment.
    await page.evaluate(() => (window as unknown as Recorder).__razorpay.options!.handler({
      razorpay_payment_id: 'pay_E2e', razorpay_order_id: 'order_E2eRazorpay01', razorpay_signature: 'not checked here',
    }))
    await page.waitForURL(url => url.pathname === '/checkout/success' && url.searchParams.get('order') === b.order.id)
    await waitForHydration(page)

    // Closing Razorpay's window without paying goes to the cancel page.
    await visit(page, `/pay/razorpay/${razorpayOrderId}`)
    await page.locator('[data-testid="razorpay-gateway"][data-script="ready"]').waitFor()
    await page.getByTestId('razorpay-pay').click()
    await expect.poll(async () => (await recorded(page)).opened).toBe(1)
    await page.evaluate(() => (window as unknown as Recorder).__razorpay.options!.modal.ondismiss())
    await page.waitForURL(url => url.pathname === '/checkout/canceled' && url.searchParams.get('order') === b.order.id)
    await waitForHydration(page)
    await page.getByTestId('canceled-status').waitFor()
  }, 90_000)

  it('Checkout.js not loading: says so, retries, and links back to the order', async () => {
    const b = await buyer({ bypassCSP: true })
    const { page } = b
    allowConsoleError(page, /Failed to load resource: net::ERR_INTERNET_DISCONNECTED/)
    await serveSession(page, sessionOf(b))
    let reachable = false
    await page.route(checkoutJs, route => (reachable
      ? route.fulfill({ status: 200, contentType: 'text/javascript', body: fakeCheckoutJs })
      : route.abort('internetdisconnected')))

    await visit(page, `/pay/razorpay/${razorpayOrderId}`)
    const failed = page.getByTestId('razorpay-script-failed')
    await failed.waitFor()
    expect(await failed.textContent()).toContain("Razorpay's payment window could not be loaded. Check your connection and try again.")
    expect(await page.getByTestId('razorpay-pay').count()).toBe(0)
    expect(await failed.getByTestId('razorpay-order-link').getAttribute('href')).toBe(`/account/orders/${b.order.id}`)
    expect(await scriptTags(page)).toBe(0) // the failed tag is gone, so a retry starts afresh

    reachable = true
    await page.getByTestId('razorpay-retry').click()
    await page.locator('[data-testid="razorpay-gateway"][data-state="open"][data-script="ready"]').waitFor()
    expect(await scriptTags(page)).toBe(1)
    await page.getByTestId('razorpay-pay').click()
    await expect.poll(async () => (await recorded(page)).opened).toBe(1)
  }, 90_000)

  it('an order no longer pending, an expired page and an unknown id: no Checkout.js, a way back instead', async () => {
    const b = await buyer()
    const { page } = b
    let session: object = sessionOf(b, { status: 'canceled', expiresAt: null })
    await page.route('**/api/pay/razorpay/order_E2e*', route => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(session) }))
    let checkoutJsRequested = false
    await page.route(checkoutJs, (route) => {
      checkoutJsRequested = true
      return route.abort('internetdisconnected')
    })

    await visit(page, `/pay/razorpay/${razorpayOrderId}`)
    const closed = page.getByTestId('razorpay-closed')
    await closed.waitFor()
    expect(await closed.textContent()).toContain('This order is no longer awaiting payment')
    expect((await closed.getByTestId('razorpay-order-status').textContent())?.trim()).toBe('Canceled')
    expect(await closed.getByTestId('razorpay-order-link').getAttribute('href')).toBe(`/account/orders/${b.order.id}`)

    session = sessionOf(b, { expiresAt: new Date(Date.now() - 60_000).toISOString() })
    await visit(page, `/pay/razorpay/${razorpayOrderId}`)
    const expired = page.getByTestId('razorpay-expired')
    await expired.waitFor()
    expect(await expired.textContent()).toContain('This payment page has expired')
    expect(await expired.getByTestId('razorpay-order-link').getAttribute('href')).toBe(`/account/orders/${b.order.id}`)
    expect(checkoutJsRequested).toBe(false)
    expect(await scriptTags(page)).toBe(0)

    // Not intercepted: the API itself answers 404 for an id that is not one of the buyer's Razorpay orders.
    allowConsoleError(page, /status of 404/)
    await visit(page, '/pay/razorpay/order_NotTheBuyers')
    await page.getByTestId('razorpay-not-found').waitFor()
    expect(await page.getByTestId('razorpay-not-found').textContent()).toContain('Payment not found')
  }, 90_000)

  it('signed out: sign in first, then come back to the page', async () => {
    const page = await newPage()
    await page.goto(`/pay/razorpay/${razorpayOrderId}`)
    await page.waitForURL(url => url.pathname === '/sign-in' && url.searchParams.get('redirect') === `/pay/razorpay/${razorpayOrderId}`)
  })
})
