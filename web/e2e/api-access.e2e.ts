import { afterAll, describe, expect, it } from 'vitest'
import { baseURL, closeBrowser, newPage, signUp, uniqueEmail, visit, waitForHydration } from './support'

// The "API key → access" golden path in a real browser: a buyer subscribes to the demo API product (PulseCart, whose
// upstream the platform serves itself in demo mode) through sandbox checkout, creates a key on the API page, calls
// the gateway as curl would, watches the usage move, and is refused with 429 past the plan's per-minute limit.

const productSlug = 'pulsecart-commerce-api' // api_service, plan "launch": 120 requests a minute (catalog/demo/data.ts)
const planSlug = 'launch'

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
})
