import { createHash } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { allowConsoleError, asAdmin, baseURL, closeBrowser, newPage, visit } from './support'

afterAll(closeBrowser)

interface PublicProduct { slug: string; title: string; price: number; type: string; status: string }

/** A word no other product has, so the public search finds exactly ours. */
function stamp() {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
}

async function publicSearch(term: string): Promise<PublicProduct[]> {
  const res = await fetch(`${baseURL}/api/products?search=${encodeURIComponent(term)}&perPage=48`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { data: PublicProduct[] }).data
}

/** Fills the new-product form and saves it as a draft; returns the product's slug and admin URL. */
async function createDraft(page: Page, input: { title: string; type?: RegExp; price: string; shortDescription: string }) {
  await visit(page, '/admin/products/new')
  await page.getByTestId('product-title').fill(input.title)
  await page.getByTestId('product-short-description').fill(input.shortDescription)
  if (input.type) {
    await page.getByTestId('product-type').click()
    await page.getByRole('option', { name: input.type }).click()
  }
  await page.getByTestId('product-price').fill(input.price)
  await page.getByTestId('product-description-input').fill('## What you get\n\n- Source code\n- **Lifetime** updates')
  // The preview is the server's sanitised rendering.
  await page.getByTestId('product-description-mode').getByRole('tab', { name: 'Preview' }).click()
  await page.getByTestId('product-description-preview').locator('h2', { hasText: 'What you get' }).waitFor()

  const slug = await page.getByTestId('product-slug').inputValue()
  await page.getByTestId('product-save').click()
  await page.waitForURL(url => /^\/admin\/products\/prd_/.test(url.pathname))
  await page.getByTestId('product-tabs').waitFor()
  await page.locator('[data-testid="product-saved-status"][data-status="draft"]').waitFor({ state: 'attached' })
  return { slug, url: new URL(page.url()).pathname }
}

async function openTab(page: Page, name: RegExp) {
  await page.getByTestId('product-tabs').getByRole('tab', { name }).click()
}

async function publish(page: Page) {
  await page.getByTestId('product-publish').click()
  await page.locator('[data-testid="product-saved-status"][data-status="published"]').waitFor({ state: 'attached' })
}

describe('admin product workspace', () => {
  it('creates a downloadable product, uploads its file, publishes it and it is listed publicly', async () => {
    const page = await asAdmin(await newPage())
    const word = `e2edl${stamp()}`
    const { slug } = await createDraft(page, {
      title: `Invoice Kit ${word}`,
      price: '499',
      shortDescription: `Invoices for small teams (${word}).`,
    })
    expect(slug).toBe(`invoice-kit-${word}`)
    // A draft is not public.
    expect((await publicSearch(word)).map(p => p.slug)).not.toContain(slug)

    // Upload a small file as the primary source.
    await openTab(page, /Sources/)
    await page.getByTestId('sources-empty').waitFor()
    await page.getByTestId('sources-upload').click()
    const bytes = Buffer.from(`hello from ${word}\n`)
    await page.getByTestId('source-upload-file').setInputFiles({ name: `${word}.zip`, mimeType: 'application/zip', buffer: bytes })
    await page.getByTestId('source-upload-version').fill('1.0.0')
    await page.getByTestId('source-upload-submit').click()
    await page.getByTestId('source-upload-form').waitFor({ state: 'detached' })
    const table = page.getByTestId('sources-table')
    await table.getByText(`${word}.zip`).waitFor()
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    await table.getByText(`${sha256.slice(0, 12)}…`).waitFor()
    await table.getByTestId('source-primary-badge').waitFor()

    await publish(page)

    const listed = (await publicSearch(word)).find(p => p.slug === slug)
    expect(listed).toMatchObject({ title: `Invoice Kit ${word}`, price: 49900, type: 'downloadable', status: 'published' })
    const sources = await fetch(`${baseURL}/api/products/${slug}/sources`).then(r => r.json()) as { data: { fileName: string; sha256: string; isPrimary: boolean }[] }
    expect(sources.data).toEqual([expect.objectContaining({ fileName: `${word}.zip`, sha256, isPrimary: true })])

    // The admin list shows it as published, with its price formatted from minor units.
    await visit(page, `/admin/products?search=${word}`)
    await page.locator(`[data-testid="product-status-${slug}"][data-status="published"]`).waitFor()
    expect(await page.getByTestId(`product-row-${slug}`).textContent()).toContain(`Invoice Kit ${word}`)
    expect(await page.getByTestId('products-table').textContent()).toContain('₹499.00')
  }, 90_000)

  it('creates an API product, adds a plan, publishes it and its plan is public', async () => {
    const page = await asAdmin(await newPage())
    const word = `e2eapi${stamp()}`
    const { slug } = await createDraft(page, {
      title: `Geo API ${word}`,
      type: /^API Service/,
      price: '0',
      shortDescription: `Geocoding as a service (${word}).`,
    })

    await openTab(page, /Plans/)
    await page.getByTestId('plans-empty').waitFor()
    await page.getByTestId('plans-new').click()
    await page.getByTestId('plan-name').fill('Pro')
    expect(await page.getByTestId('plan-slug').inputValue()).toBe('pro')
    await page.getByTestId('plan-price').fill('1499.50')
    await page.getByTestId('plan-rpm').fill('60')
    await page.getByTestId('plan-feature-0').fill('100,000 requests a month')
    await page.getByTestId('plan-submit').click()
    await page.getByTestId('plan-form').waitFor({ state: 'detached' })
    await page.getByTestId('plan-row-pro').waitFor()
    expect(await page.getByTestId('plan-price-pro').textContent()).toContain('₹1,499.50')

    await publish(page)

    expect((await publicSearch(word)).map(p => p.slug)).toContain(slug)
    const plans = await fetch(`${baseURL}/api/products/${slug}/plans`).then(r => r.json()) as { data: { slug: string; price: number; requestsPerMinute: number | null; features: string[] }[] }
    expect(plans.data).toEqual([
      expect.objectContaining({ slug: 'pro', price: 149950, requestsPerMinute: 60, features: ['100,000 requests a month'] }),
    ])
  }, 90_000)

  it('shows a taken slug and invalid JSON under their fields', async () => {
    const page = await asAdmin(await newPage())
    // The browser logs the refused request itself.
    allowConsoleError(page, /status of 409/)
    const word = `e2edup${stamp()}`
    const { slug } = await createDraft(page, { title: `Dup ${word}`, price: '0', shortDescription: 'First.' })

    await visit(page, '/admin/products/new')
    await page.getByTestId('product-title').fill(`Another ${word}`)
    await page.getByTestId('product-slug').fill(slug)
    await page.getByTestId('product-meta').fill('{"broken": ')
    await page.getByTestId('product-form').getByText('Not valid JSON', { exact: false }).waitFor()
    await page.getByTestId('product-meta').fill('{"project": "demo"}')
    // The taken slug comes back from the API as a 409, shown on the slug field.
    await page.getByTestId('product-save').click()
    await page.getByTestId('product-form').getByText(`The slug "${slug}" is taken`).waitFor()
    expect(new URL(page.url()).pathname).toBe('/admin/products/new')
  }, 60_000)
})
