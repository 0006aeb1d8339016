import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { baseURL, closeBrowser, newPage, signUp, uniqueEmail, visit, waitForHydration } from './support'

// The buyer's side of checkout, in a real browser against the running app: a paid demo product through the
// sandbox gateway to its licence, a free product claimed in one click, and a declined payment. Paid products come
// from the demo catalogue seeded on first start; the free product is made through the admin API and archived after.

const licenseKey = /^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/
const paidSlug = '2048-game-premium' // downloadable, ₹99.00, commercial_single (server/src/modules/catalog/demo/data.ts)
const declinedSlug = 'premium-ui-kit-for-figma' // downloadable, ₹1,499.00

let token = ''
let freeProduct: { id: string; slug: string; title: string } | null = null

async function adminApi<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseURL}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, origin: baseURL, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`)
  return (text ? JSON.parse(text) : null) as T
}

beforeAll(async () => {
  const email = process.env.E2E_ADMIN_EMAIL
  const password = process.env.E2E_ADMIN_PASSWORD
  if (!email || !password) throw new Error('Set E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD to run the checkout browser tests')
  const response = await fetch(`${baseURL}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseURL },
    body: JSON.stringify({ email, password }),
  })
  if (!response.ok) throw new Error(`Admin sign-in failed: ${response.status} ${await response.text()}`)
  token = response.headers.get('set-auth-token') ?? ((await response.json()) as { token: string }).token
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  freeProduct = await adminApi('POST', '/api/admin/products', {
    title: `Gratis Starter Kit ${tag}`,
    type: 'downloadable',
    price: 0,
    currency: 'INR',
    status: 'published',
    defaultLicense: 'free_attribution',
    shortDescription: 'A free starter kit for the checkout browser test.',
    description: 'Free for any project, with a credit.',
  })
}, 60_000)

afterAll(async () => {
  // Archived, not deleted: an ordered product stays referenced by its orders.
  if (freeProduct) await adminApi('PATCH', `/api/admin/products/${freeProduct.id}`, { status: 'archived' }).catch(() => {})
  await closeBrowser()
})

async function readLicenseKey(page: Page): Promise<string> {
  const modal = page.getByTestId('license-modal')
  await modal.waitFor()
  const key = modal.getByTestId('license-key').first()
  await key.waitFor()
  return (await key.textContent())?.trim() ?? ''
}

describe('checkout', () => {
  it('golden path: sign up, buy a paid product through the sandbox gateway, get the licence, see it in the account', async () => {
    const page = await newPage()
    await signUp(page, { name: 'Golden Buyer', email: uniqueEmail('buyer'), password: 'a long buyer password' })

    // Browse the catalogue and open the paid product.
    await visit(page, '/products')
    await page.getByTestId('catalog-search').fill('2048 Game')
    const card = page.locator(`[data-testid="product-card"][data-slug="${paidSlug}"]`)
    await card.waitFor()
    await card.getByTestId('product-card-link').click()
    await page.waitForURL(url => url.pathname === `/products/${paidSlug}`)
    await waitForHydration(page)

    // Buy → the one-step checkout with the quote.
    const cta = page.getByTestId('product-cta')
    expect((await cta.textContent())?.trim()).toBe('Buy — ₹99.00')
    await cta.click()
    await page.waitForURL(url => url.pathname === '/checkout' && url.searchParams.get('product') === paidSlug)
    await waitForHydration(page)
    const item = page.getByTestId('checkout-item')
    await item.waitFor()
    expect(await item.getByTestId('checkout-item-title').textContent()).toContain('2048 Game Premium')
    expect(await item.getByTestId('checkout-item-license').textContent()).toContain('Commercial licence — 1 project')
    expect(await page.getByTestId('order-total').textContent()).toContain('₹99.00')
    const pay = page.getByTestId('checkout-pay')
    expect((await pay.textContent())?.trim()).toBe('Pay ₹99.00')
    await pay.click()

    // The sandbox gateway's hosted page.
    await page.waitForURL(url => url.pathname.startsWith('/pay/sandbox/'))
    await waitForHydration(page)
    expect(await page.getByTestId('sandbox-gateway').textContent()).toContain('Sandbox payment — no real money moves')
    expect(await page.getByTestId('sandbox-amount').textContent()).toContain('₹99.00')
    await page.getByTestId('sandbox-pay').click()

    // Back on the shop: the order follows the webhook to fulfilment, and the licence modal opens by itself.
    await page.waitForURL(url => url.pathname === '/checkout/success')
    await waitForHydration(page)
    const orderId = new URL(page.url()).searchParams.get('order')!
    expect(orderId).toMatch(/^ord_/)
    const key = await readLicenseKey(page)
    expect(key).toMatch(licenseKey)
    const modal = page.getByTestId('license-modal')
    expect(await modal.getByTestId('license-type').textContent()).toContain('Commercial licence — 1 project')
    expect(await modal.getByTestId('license-activations').textContent()).toContain('1 activation')
    expect(await modal.getByTestId('license-expiry').textContent()).toContain('Never expires')
    expect(await modal.getByTestId('license-download').getAttribute('href')).toBe(`/products/${paidSlug}#download`)
    expect(await page.locator('[data-testid="success-status"]').getAttribute('data-status')).toBe('fulfilled')
    await modal.getByTestId('license-modal-done').click()
    await modal.waitFor({ state: 'detached' })

    // The licence is in the account, masked until revealed.
    await visit(page, '/account/licenses')
    const licenseCard = page.getByTestId('license-card').filter({ hasText: '2048 Game Premium' })
    await licenseCard.waitFor()
    expect(await licenseCard.getByTestId('license-card-key').textContent()).not.toContain(key)
    await licenseCard.getByTestId('license-card-reveal').click()
    expect((await licenseCard.getByTestId('license-card-key').textContent())?.trim()).toBe(key)
    expect(await licenseCard.getAttribute('data-status')).toBe('active')

    // The order is in the account as fulfilled, and its page opens the same licence.
    await visit(page, '/account/orders')
    const row = page.getByTestId('orders-table').locator('tr', { has: page.getByTestId(`order-link-${orderId}`) })
    await row.waitFor()
    expect(await row.getByTestId('order-status').getAttribute('data-status')).toBe('fulfilled')
    expect(await row.textContent()).toContain('₹99.00')
    await row.getByTestId(`order-link-${orderId}`).click()
    await page.waitForURL(url => url.pathname === `/account/orders/${orderId}`)
    await waitForHydration(page)
    await page.getByTestId('order-show-licenses').click()
    expect(await readLicenseKey(page)).toBe(key)
  }, 120_000)

  it('free product: "Get for free" signs a visitor in first, then claims it in one click and shows the licence', async () => {
    const page = await newPage()
    const slug = freeProduct!.slug

    // Signed out: the claim starts with signing in, and comes back to checkout afterwards.
    await visit(page, `/products/${slug}`)
    const cta = page.getByTestId('product-cta')
    expect((await cta.textContent())?.trim()).toBe('Get for free')
    await cta.click()
    await page.waitForURL(url => url.pathname === '/sign-in' && url.searchParams.get('redirect') === `/checkout?product=${slug}`)

    await signUp(page, { name: 'Free Claimer', email: uniqueEmail('claimer'), password: 'a long claimer password' })
    await visit(page, `/products/${slug}`)
    await page.getByTestId('product-cta').click()
    await page.waitForURL(url => url.pathname === '/checkout/success')
    const key = await readLicenseKey(page)
    expect(key).toMatch(licenseKey)
    const modal = page.getByTestId('license-modal')
    expect(await modal.getByTestId('license-type').textContent()).toContain('Free licence — with attribution')
    expect(await modal.getByTestId('license-activations').textContent()).toContain('Unlimited activations')
    expect(await modal.getByTestId('license-attribution-text').textContent()).toContain(freeProduct!.title)
  }, 90_000)

  it('declined payment: the canceled page offers to try again; an abandoned order can be canceled', async () => {
    const page = await newPage()
    await signUp(page, { name: 'Declined Buyer', email: uniqueEmail('declined'), password: 'a long declined password' })

    await visit(page, `/checkout?product=${declinedSlug}`)
    await page.getByTestId('checkout-pay').click()
    await page.waitForURL(url => url.pathname.startsWith('/pay/sandbox/'))
    await waitForHydration(page)
    await page.getByTestId('sandbox-decline').click()

    await page.waitForURL(url => url.pathname === '/checkout/canceled')
    await waitForHydration(page)
    const status = page.getByTestId('canceled-status')
    await status.waitFor()
    // The decline reaches the shop by webhook; the page follows the order until it has failed.
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 15_000 }).toBe('failed')
    expect(await page.getByTestId('canceled-title').textContent()).toContain('Payment declined')
    expect(await page.getByTestId('canceled-try-again').getAttribute('href')).toBe(`/checkout?product=${declinedSlug}`)
    await page.getByTestId('canceled-try-again').click()
    await page.waitForURL(url => url.pathname === '/checkout' && url.searchParams.get('product') === declinedSlug)
    await waitForHydration(page)
    await page.getByTestId('checkout-item').waitFor()

    // Left the payment page without answering: the order is pending, and the buyer cancels it.
    await page.getByTestId('checkout-pay').click()
    await page.waitForURL(url => url.pathname.startsWith('/pay/sandbox/'))
    const sessionId = new URL(page.url()).pathname.split('/').pop()!
    const session = await (await page.request.get(`${baseURL}/api/pay/sandbox/${sessionId}`)).json() as { orderId: string }
    await visit(page, `/checkout/canceled?order=${session.orderId}`)
    expect(await page.getByTestId('canceled-status').getAttribute('data-status')).toBe('pending')
    await page.getByTestId('canceled-cancel-order').click()
    await expect.poll(() => page.getByTestId('canceled-status').getAttribute('data-status')).toBe('canceled')
    expect(await page.getByTestId('canceled-title').textContent()).toContain('Order canceled')
  }, 120_000)
})
