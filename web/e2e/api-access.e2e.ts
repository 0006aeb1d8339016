import { afterAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { allowConsoleError, asAdmin, baseURL, closeBrowser, newPage, signUp, uniqueEmail, visit, waitForHydration } from './support'

// The "API key → access" golden path in a real browser: a buyer subscribes to the demo API product (PulseCart, whose
// upstream the platform serves itself in demo mode) through sandbox checkout, creates a key on the API page, calls
// the gateway as curl would, watches the usage move, and is refused with 429 past the plan's per-minute limit.

const productSlug = 'pulsecart-commerce-api' // api_service, plan "launch": 120 requests a minute (catalog/demo/data.ts)
const planSlug = 'launch'
const referralSlug = 'geoip-lookup-api' // api_referral, plan "free": fulfilled by hand with the partner's credentials

/** Through checkout to a fulfilled order (a free plan may skip the sandbox payment page). */
async function subscribe(page: Page, product: string, plan: string) {
  await visit(page, `/checkout?product=${product}&plan=${plan}`)
  await page.getByTestId('checkout-item').waitFor()
  await page.getByTestId('checkout-pay').click()
  await page.waitForURL(url => url.pathname.startsWith('/pay/sandbox/') || url.pathname === '/checkout/success')
  if (new URL(page.url()).pathname.startsWith('/pay/sandbox/')) {
    await waitForHydration(page)
    await page.getByTestId('sandbox-pay').click()
    await page.waitForURL(url => url.pathname === '/checkout/success')
  }
  await waitForHydration(page)
  await page.locator('[data-testid="success-status"][data-status="fulfilled"]').waitFor({ timeout: 30_000 })
}

afterAll(async () => {
  await closeBrowser()
})

describe('API access', () => {
  it('subscribe, create a key, call the gateway, see usage, hit the per-minute limit', async () => {
    const page = await newPage()
    await signUp(page, { name: 'API Buyer', email: uniqueEmail('api-buyer'), password: 'a long api buyer password' })

    // Subscribe to the Launch plan through the sandbox gateway.
    await visit(page, `/checkout?product=${productSlug}&plan=${planSlug}`)
    await waitForHydration(page)
    await page.getByTestId('checkout-item').waitFor()
    await page.getByTestId('checkout-pay').click()
    await page.waitForURL(url => url.pathname.startsWith('/pay/sandbox/'))
    await waitForHydration(page)
    await page.getByTestId('sandbox-pay').click()
    await page.waitForURL(url => url.pathname === '/checkout/success')
    await waitForHydration(page)
    await page.locator('[data-testid="success-status"][data-status="fulfilled"]').waitFor({ timeout: 30_000 })

    // The API page: the subscription with its quotas; create a live key, shown once.
    await visit(page, '/account/api')
    const subscription = page.getByTestId(`api-subscription-${productSlug}`)
    await subscription.waitFor()
    expect(await subscription.textContent()).toContain('PulseCart Commerce API')
    await subscription.getByTestId('api-create-key').click()
    await page.getByTestId('api-key-name').fill('E2E key')
    await page.getByTestId('api-key-create-submit').click()
    const secret = page.getByTestId('api-key-value')
    await secret.waitFor()
    const key = (await secret.textContent())?.trim() ?? ''
    expect(key).toMatch(/^mk_live_[0-9A-Za-z]{43}$/)
    expect(await page.getByTestId('api-key-secret').textContent()).toContain(`${baseURL}/api/gateway/${productSlug}/hello`)
    await page.getByTestId('api-key-secret-done').click()
    await secret.waitFor({ state: 'detached' })
    // The list shows the prefix only; the sample uses it.
    expect(await subscription.getByTestId('api-keys').textContent()).toContain(key.slice(0, 16))
    expect(await subscription.textContent()).not.toContain(key)
    expect(await subscription.getByTestId('api-sample').textContent()).toContain(key.slice(0, 16))

    // Call the gateway as curl would: no Origin, a Bearer key. The demo upstream answers through it.
    const call = () => fetch(`${baseURL}/api/gateway/${productSlug}/hello`, { headers: { authorization: `Bearer ${key}` } })
    const first = await call()
    expect(first.status).toBe(200)
    expect(first.headers.get('ratelimit-limit')).toBe('120')
    const body = await first.json() as { message: string; plan: string }
    expect(body).toMatchObject({ message: 'Hello from the demo upstream', plan: planSlug })
    for (let i = 0; i < 4; i++) expect((await call()).status).toBe(200)
    expect((await fetch(`${baseURL}/api/gateway/${productSlug}/hello`)).status).toBe(401)

    // The usage chart moves (usage is written in batches, about a second later).
    let total = ''
    for (let attempt = 0; attempt < 20 && !/^[5-9]\d* calls|^\d{2,} calls/.test(total); attempt++) {
      await visit(page, '/account/api')
      await page.getByTestId('api-usage-total').waitFor()
      total = (await page.getByTestId('api-usage-total').textContent())?.trim() ?? ''
      if (!/^[5-9] calls|^\d{2,} calls/.test(total)) await page.waitForTimeout(500)
    }
    expect(total).toMatch(/^5 calls/)
    await page.getByTestId('api-usage-chart').waitFor()

    // Past the per-minute limit: 429 with RateLimit-* and Retry-After.
    let refused: Response | null = null
    for (let i = 0; i < 130 && !refused; i++) {
      const response = await call()
      if (response.status === 429) refused = response
      else await response.arrayBuffer()
    }
    expect(refused).not.toBeNull()
    expect(refused!.headers.get('ratelimit-remaining')).toBe('0')
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0)
    const error = await refused!.json() as { error: { code: string } }
    expect(error.error.code).toBe('RATE_LIMITED')
  }, 180_000)

  it('an admin attaches partner credentials at fulfilment; the owner reveals them on demand, never in a list', async () => {
    const partnerKey = `geo_live_${Date.now().toString(36)}A1B2`
    const partnerSecret = `geo_secret_${Math.random().toString(36).slice(2)}`
    const replacementKey = `geo_live_replaced_${Date.now().toString(36)}Z9Y8`

    const buyer = await newPage()
    await signUp(buyer, { name: 'Partner Buyer', email: uniqueEmail('api-partner'), password: 'a long partner buyer password' })
    await subscribe(buyer, referralSlug, 'free')

    // Before fulfilment: the subscription says its credentials are being set up.
    await visit(buyer, '/account/api')
    const subscription = buyer.getByTestId(`api-subscription-${referralSlug}`)
    await subscription.getByTestId('api-credentials-empty').waitFor()
    const { data } = await buyer.evaluate(() => fetch('/api/api-subscriptions').then(r => r.json())) as { data: { licenseId: string; productSlug: string }[] }
    const licenseId = data.find(s => s.productSlug === referralSlug)!.licenseId

    // The operator fulfils it from the licence's admin page.
    const admin = await asAdmin(await newPage())
    await visit(admin, `/admin/licenses/${licenseId}`)
    const card = admin.getByTestId('admin-license-credentials')
    await card.getByTestId('credential-empty').waitFor()
    await card.getByRole('button', { name: 'Attach credentials' }).click()
    // The form checks with the contract before sending.
    await admin.getByTestId('credential-submit').click()
    await admin.getByText('Paste the API key the partner issued').waitFor()
    await admin.getByTestId('credential-label').fill('Production account')
    await admin.getByTestId('credential-key').fill(partnerKey)
    await admin.getByTestId('credential-secret').fill(partnerSecret)
    await admin.getByTestId('credential-url').fill('https://geoip-partner.example/account')
    await admin.getByTestId('credential-external-id').fill('acct_1042')
    await admin.getByTestId('credential-submit').click()
    await admin.getByTestId('credential-form').waitFor({ state: 'detached' })
    const row = card.getByTestId('credential-list').locator('li').first()
    await row.waitFor()
    expect(await row.textContent()).toContain('Production account')
    expect(await row.textContent()).toContain(`••••${partnerKey.slice(-4)}`)
    expect(await admin.content()).not.toContain(partnerKey)
    expect(await admin.content()).not.toContain(partnerSecret)

    // The owner sees label and hint; the key and secret only after Show, and not once hidden again.
    await visit(buyer, '/account/api')
    const credentials = subscription.getByTestId('api-credentials')
    await credentials.getByTestId('api-credential-reveal').waitFor()
    expect(await credentials.textContent()).toContain('Production account')
    expect(await credentials.textContent()).toContain(`••••${partnerKey.slice(-4)}`)
    expect(await buyer.content()).not.toContain(partnerKey)
    await credentials.getByTestId('api-credential-reveal').click()
    expect((await buyer.getByTestId('credential-reveal-key').textContent())?.trim()).toBe(partnerKey)
    expect((await buyer.getByTestId('credential-reveal-secret').textContent())?.trim()).toBe(partnerSecret)
    await buyer.getByTestId('credential-reveal-done').click()
    await buyer.getByTestId('credential-reveal').waitFor({ state: 'detached' })
    expect(await buyer.content()).not.toContain(partnerSecret)

    // The operator replaces the key (the secret stays); the owner sees the new one.
    await card.getByTestId('credential-replace').click()
    await admin.getByTestId('credential-key').fill(replacementKey)
    await admin.getByTestId('credential-submit').click()
    await admin.getByTestId('credential-form').waitFor({ state: 'detached' })
    await card.getByText(`••••${replacementKey.slice(-4)}`).waitFor()
    await visit(buyer, '/account/api')
    await subscription.getByTestId('api-credential-reveal').click()
    expect((await buyer.getByTestId('credential-reveal-key').textContent())?.trim()).toBe(replacementKey)
    expect((await buyer.getByTestId('credential-reveal-secret').textContent())?.trim()).toBe(partnerSecret)
    await buyer.getByTestId('credential-reveal-done').click()

    // Removed: the subscription is back to waiting.
    await card.getByTestId('credential-remove').click()
    await admin.getByTestId('credential-remove-confirm').click()
    await card.getByTestId('credential-empty').waitFor()
    await visit(buyer, '/account/api')
    await subscription.getByTestId('api-credentials-empty').waitFor()

    // A failure to load the credentials says so, with a retry, and leaves the keys usable.
    allowConsoleError(buyer, /status of 500/)
    await buyer.route('**/api/api-credentials', route => route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: { code: 'INTERNAL', message: 'Something went wrong', requestId: 'e2e' } }) }))
    await buyer.goto('/account')
    await waitForHydration(buyer)
    await buyer.getByRole('link', { name: 'API', exact: true }).first().click()
    await buyer.getByTestId('api-credentials-error').waitFor()
    await subscription.getByTestId('api-create-key').waitFor()
  }, 180_000)

  it('an admin edits a gateway endpoint of an API product: method, path, weight, plans, on/off; a clash stays on its field', async () => {
    const admin = await asAdmin(await newPage())
    allowConsoleError(admin, /status of 409/)
    const { id } = await admin.evaluate(() => fetch('/api/products/helpdeskflow-support-api').then(r => r.json())) as { id: string }
    await visit(admin, `/admin/products/${id}?tab=plans`)
    const panel = admin.getByTestId('api-endpoints')
    const suffix = Date.now().toString(36)
    for (const path of [`/tickets-${suffix}/{id}`, `/tickets-${suffix}`]) {
      await panel.getByTestId('endpoint-path').fill(path)
      await panel.getByTestId('endpoint-add').click()
      await panel.locator('tbody tr', { hasText: `GET ${path}` }).first().waitFor()
    }
    const row = panel.locator('tbody tr', { hasText: `GET /tickets-${suffix}/{id}` }).first()
    await row.getByTestId('endpoint-edit').click()
    const form = admin.getByTestId('endpoint-form')
    await form.waitFor()
    // Taking the other endpoint's method and path is refused under the path field, and stays there.
    await admin.getByTestId('endpoint-edit-path').fill(`/tickets-${suffix}`)
    await admin.getByTestId('endpoint-edit-save').click()
    await form.getByText('already exists').waitFor()
    await admin.waitForTimeout(600)
    expect(await form.textContent()).toContain('already exists')
    // A real change: another method and path, weight 3, the Pro plan only, switched off.
    await admin.getByTestId('endpoint-edit-method').click()
    await admin.getByRole('option', { name: 'POST', exact: true }).click()
    await admin.getByTestId('endpoint-edit-path').fill(`/tickets-${suffix}/{id}/reply`)
    await admin.getByTestId('endpoint-edit-weight').fill('3')
    await admin.getByTestId('endpoint-edit-plans').click()
    await admin.getByRole('option', { name: 'Pro', exact: true }).click()
    await admin.keyboard.press('Escape')
    await form.waitFor()
    await admin.getByTestId('endpoint-edit-active').click()
    await admin.getByTestId('endpoint-edit-save').click()
    await form.waitFor({ state: 'detached' })
    const edited = panel.locator('tbody tr', { hasText: `POST /tickets-${suffix}/{id}/reply` })
    await edited.waitFor()
    const text = (await edited.textContent()) ?? ''
    expect(text).toContain('off')
    expect(text).toContain('3')
    expect(text).toContain('Pro')
    // Stored as shown.
    const { data } = await admin.evaluate((productId) => fetch(`/api/admin/products/${productId}/api-endpoints`).then(r => r.json()), id) as { data: { path: string; method: string; weight: number; planIds: string[]; isActive: boolean }[] }
    expect(data.find(e => e.path === `/tickets-${suffix}/{id}/reply`)).toMatchObject({ method: 'POST', weight: 3, isActive: false, planIds: [expect.any(String)] })

    // Leave the demo product as it was: remove both.
    for (const label of [`POST /tickets-${suffix}/{id}/reply`, `GET /tickets-${suffix}`]) {
      await panel.locator('tbody tr', { hasText: label }).first().getByTestId('endpoint-remove').click()
      await admin.getByTestId('endpoint-remove-confirm').click()
      await panel.locator('tbody tr', { hasText: label }).waitFor({ state: 'detached' })
    }
  }, 120_000)
})
