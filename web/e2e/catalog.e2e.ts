import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allowConsoleError, baseURL, closeBrowser, newPage, visit, waitForHydration } from './support'

// The storefront catalogue as a visitor sees it. The spec makes its own products through the admin API (a bearer
// token from better-auth's sign-in) and removes them afterwards.

interface CreatedProduct { id: string; slug: string; title: string }

// A word no other product contains, so searching for it finds exactly this spec's products.
const tag = `zq${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
let token = ''
const created: CreatedProduct[] = []
let paid: CreatedProduct
let freebie: CreatedProduct
let api: CreatedProduct
let draft: CreatedProduct

async function adminApi<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseURL}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      origin: baseURL,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`)
  return (text ? JSON.parse(text) : null) as T
}

async function createProduct(input: Record<string, unknown>) {
  const product = await adminApi<CreatedProduct>('POST', '/api/admin/products', input)
  created.push(product)
  return product
}

beforeAll(async () => {
  const email = process.env.E2E_ADMIN_EMAIL
  const password = process.env.E2E_ADMIN_PASSWORD
  if (!email || !password) throw new Error('Set E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD to run the catalogue browser tests')
  // better-auth checks the Origin of sign-in requests.
  const response = await fetch(`${baseURL}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseURL },
    body: JSON.stringify({ email, password }),
  })
  if (!response.ok) throw new Error(`Admin sign-in failed: ${response.status} ${await response.text()}`)
  token = response.headers.get('set-auth-token') ?? ((await response.json()) as { token: string }).token

  paid = await createProduct({
    title: `Orbit Toolkit ${tag}`,
    type: 'downloadable',
    price: 49900,
    currency: 'INR',
    status: 'published',
    shortDescription: `A paid toolkit for the ${tag} browser test.`,
    description: `## What it does\n\nThe **Orbit Toolkit** ships dashboards for ${tag}.\n\n- Fast\n- Typed`,
    version: '1.2.0',
  })
  freebie = await createProduct({
    title: `Orbit Icons ${tag}`,
    type: 'freebie',
    price: 0,
    status: 'published',
    shortDescription: `Free icons for the ${tag} browser test.`,
    description: 'Free for any project.',
    githubUrl: 'https://github.com/example/orbit-icons',
  })
  api = await createProduct({
    title: `Orbit Geo API ${tag}`,
    type: 'api_service',
    price: 0,
    status: 'published',
    shortDescription: `An API for the ${tag} browser test.`,
    description: 'Look up places.',
  })
  await adminApi('POST', `/api/admin/products/${api.id}/plans`, {
    slug: 'pro', name: 'Pro', price: 99900, billingCycle: 'monthly', requestsPerMinute: 60, requestsPerDay: 10000,
    requestsPerMonth: null, features: ['Email support'], isPopular: true,
  })
  draft = await createProduct({
    title: `Orbit Secret ${tag}`,
    type: 'downloadable',
    price: 10000,
    status: 'draft',
    shortDescription: `Not published yet (${tag}).`,
    description: 'Draft.',
  })
}, 60_000)

afterAll(async () => {
  for (const product of created) await adminApi('DELETE', `/api/admin/products/${product.id}`).catch(() => {})
  await closeBrowser()
})

describe('catalogue', () => {
  it('a visitor searches, filters by type, and opens a product with its price, description and call to action', async () => {
    const page = await newPage()
    await visit(page, '/products')
    const cards = page.getByTestId('product-card')

    // Instant search: results and a shareable URL, without pressing Enter.
    await page.getByTestId('catalog-search').fill(tag)
    await page.waitForURL(url => url.searchParams.get('search') === tag)
    await expect.poll(() => cards.count()).toBe(3)
    expect(await page.getByTestId('catalog-count').textContent()).toContain('3 products')
    expect(await page.getByText(draft.title).count()).toBe(0)

    // Filter by type: the URL carries it, and a reload renders the same results on the server.
    await page.getByTestId('catalog-filters').getByTestId('filter-type-freebie').click()
    await page.waitForURL(url => url.searchParams.get('type') === 'freebie' && url.searchParams.get('search') === tag)
    await expect.poll(() => cards.count()).toBe(1)
    expect(await cards.first().getAttribute('data-slug')).toBe(freebie.slug)
    expect(await page.getByTestId('filter-type-freebie').getAttribute('aria-current')).toBe('true')

    await page.reload()
    await waitForHydration(page)
    expect(await page.getByTestId('catalog-search').inputValue()).toBe(tag)
    expect(await cards.count()).toBe(1)
    expect(await cards.first().textContent()).toContain('Free')

    // A search that matches nothing offers to clear the filters.
    await page.getByTestId('catalog-search').fill(`${tag}nothing`)
    await page.getByTestId('catalog-empty').waitFor()
    expect(await page.getByTestId('catalog-empty').textContent()).toContain('No products match')
    await page.getByTestId('catalog-clear').click()
    await page.waitForURL(url => url.pathname === '/products' && !url.search)

    // Back to the paid product through search, then open it.
    await page.getByTestId('catalog-search').fill(tag)
    await page.locator(`[data-testid="product-card"][data-slug="${paid.slug}"]`).waitFor()
    await page.locator(`[data-testid="product-card"][data-slug="${paid.slug}"]`).getByTestId('product-card-link').click()
    await page.waitForURL(url => url.pathname === `/products/${paid.slug}`)

    expect(await page.getByTestId('product-title').textContent()).toContain(paid.title)
    expect(await page.locator('main').getByTestId('price').first().textContent()).toContain('₹499.00')
    expect(await page.getByTestId('product-description').textContent()).toContain(`ships dashboards for ${tag}`)
    expect(await page.getByTestId('product-description').locator('strong').textContent()).toBe('Orbit Toolkit')
    const cta = page.getByTestId('product-cta')
    expect((await cta.textContent())?.trim()).toBe('Buy — ₹499.00')
    expect(await cta.getAttribute('href')).toBe(`/checkout?product=${paid.slug}`)
    expect(await page.getByTestId('product-license').textContent()).toContain('Commercial licence — 1 project')

    // The page is described for search engines and link previews.
    expect(await page.title()).toContain(paid.title)
    expect(await page.locator('link[rel="canonical"]').getAttribute('href')).toMatch(new RegExp(`/products/${paid.slug}$`))
    const jsonLd = JSON.parse(await page.locator('script[type="application/ld+json"]').first().textContent() ?? '{}')
    expect(jsonLd).toMatchObject({ '@type': 'Product', name: paid.title, offers: { price: '499.00', priceCurrency: 'INR' } })
  }, 90_000)

  it('shows a free download for freebies and a Subscribe button per plan for API products', async () => {
    const page = await newPage()
    await visit(page, `/products/${freebie.slug}`)
    expect((await page.getByTestId('product-cta').textContent())?.trim()).toBe('Download')
    expect(await page.getByTestId('product-link-github').getAttribute('href')).toBe('https://github.com/example/orbit-icons')

    await visit(page, `/products/${api.slug}`)
    const subscribe = page.getByTestId('plan-subscribe-pro')
    expect(await subscribe.getAttribute('href')).toBe(`/checkout?product=${api.slug}&plan=pro`)
    expect(await page.getByTestId('plan-pro').textContent()).toContain('₹999.00')
  }, 60_000)

  it('answers 404 for an unpublished product and for an unknown slug', async () => {
    const page = await newPage()
    allowConsoleError(page, /404/)
    for (const slug of [draft.slug, `no-such-product-${tag}`]) {
      const response = await page.goto(`/products/${slug}`)
      expect(response?.status()).toBe(404)
      await page.getByTestId('error-404').waitFor()
      expect(await page.locator('h1').textContent()).toContain('Page not found')
    }
  }, 60_000)
})
