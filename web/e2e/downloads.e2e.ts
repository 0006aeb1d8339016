import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { afterAll, describe, expect, it } from 'vitest'
import type { Download, Page } from 'playwright-core'
import { baseURL, closeBrowser, newPage, signIn, signUp, uniqueEmail, visit, waitForHydration } from './support'

// Downloads in a real browser against the running app: a buyer pays for a demo product through the sandbox gateway,
// downloads it from the licence modal, the product page and the Downloads page (each file checked against its
// SHA-256), an owner picks an older version from the product page's menu, and the administrator finds those
// downloads in the log.

const paidSlug = '2048-game-premium' // downloadable, ₹99.00, with a seeded zip (server/src/modules/catalog/demo)

let adminToken = ''
const createdProducts: string[] = []

async function adminApi<T>(method: string, path: string, body?: unknown): Promise<T> {
  if (!adminToken) {
    // better-auth checks the Origin of sign-in requests.
    const response = await fetch(`${baseURL}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: baseURL },
      body: JSON.stringify({ email: process.env.E2E_ADMIN_EMAIL, password: process.env.E2E_ADMIN_PASSWORD }),
    })
    if (!response.ok) throw new Error(`Admin sign-in failed: ${response.status} ${await response.text()}`)
    adminToken = response.headers.get('set-auth-token') ?? ((await response.json()) as { token: string }).token
  }
  const response = await fetch(`${baseURL}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${adminToken}`,
      origin: baseURL,
      ...(body === undefined || body instanceof FormData ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined || body instanceof FormData ? body : JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`)
  return (text ? JSON.parse(text) : null) as T
}

/** Uploads `content` as a new source of the product; returns the created source. */
async function uploadSource(productId: string, fields: { name: string; version: string; isPrimary: boolean; fileName: string; content: string }) {
  const form = new FormData()
  form.set('name', fields.name)
  form.set('version', fields.version)
  form.set('isPrimary', String(fields.isPrimary))
  form.set('file', new Blob([fields.content], { type: 'application/octet-stream' }), fields.fileName)
  return adminApi<Source>('POST', `/api/admin/products/${productId}/sources/upload`, form)
}

afterAll(async () => {
  for (const id of createdProducts) await adminApi('DELETE', `/api/admin/products/${id}`).catch(() => {})
  await closeBrowser()
})

interface Source { id: string; fileName: string | null; fileSize: number | null; sha256: string | null; isPrimary: boolean }

async function primarySource(): Promise<Source> {
  const response = await fetch(`${baseURL}/api/products/${paidSlug}/sources`)
  const { data } = await response.json() as { data: Source[] }
  return data.find(s => s.isPrimary) ?? data[0]!
}

/** Clicks `button`, waits for the browser's download, and returns the saved file's name and SHA-256. */
async function downloadBy(page: Page, click: () => Promise<void>) {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]) as [Download, void]
  const path = await download.path()
  const bytes = await readFile(path)
  return { name: download.suggestedFilename(), size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }
}

describe('downloads', () => {
  it('a buyer downloads a purchased product from the licence modal, the product page and the Downloads page', async () => {
    const source = await primarySource()
    expect(source.sha256).toMatch(/^[0-9a-f]{64}$/)
    const page = await newPage()
    await signUp(page, { name: 'Download Buyer', email: uniqueEmail('downloader'), password: 'a long buyer password' })

    // Before buying: the product page offers Buy, not Download.
    await visit(page, `/products/${paidSlug}`)
    const cta = page.getByTestId('product-cta')
    expect((await cta.textContent())?.trim()).toBe('Buy — ₹99.00')

    // Buy through the sandbox gateway.
    await cta.click()
    await page.waitForURL(url => url.pathname === '/checkout')
    await waitForHydration(page)
    await page.getByTestId('checkout-pay').click()
    await page.waitForURL(url => url.pathname.startsWith('/pay/sandbox/'))
    await waitForHydration(page)
    await page.getByTestId('sandbox-pay').click()
    await page.waitForURL(url => url.pathname === '/checkout/success')
    await waitForHydration(page)

    // The licence modal opens with the file: download it there.
    const modal = page.getByTestId('license-modal')
    await modal.waitFor()
    const fromModal = await downloadBy(page, () => modal.getByTestId('license-modal-download').click())
    expect(fromModal).toEqual({ name: source.fileName, size: source.fileSize, sha256: source.sha256 })
    await modal.getByTestId('license-modal-done').click()
    await modal.waitFor({ state: 'detached' })

    // The product page now offers Download, with the file it delivers.
    await visit(page, `/products/${paidSlug}`)
    const download = page.getByTestId('product-cta')
    await page.waitForFunction(() => document.querySelector('[data-testid="product-cta"]')?.textContent?.trim() === 'Download')
    const fromProduct = await downloadBy(page, () => download.click())
    expect(fromProduct.sha256).toBe(source.sha256)

    // The Downloads page lists it with its checksum.
    await visit(page, '/account/downloads')
    const card = page.getByTestId(`downloads-product-${paidSlug}`)
    await card.waitFor()
    expect(await card.getByTestId('downloads-sha256').first().textContent()).toBe(source.sha256)
    const fromList = await downloadBy(page, () => card.getByTestId(`downloads-file-button-${source.id}`).click())
    expect(fromList.sha256).toBe(source.sha256)
  }, 120_000)

  it('an owner picks an older version from the product page\'s Download menu', async () => {
    const tag = `v${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
    const product = await adminApi<{ id: string; slug: string }>('POST', '/api/admin/products', {
      title: `Versioned Kit ${tag}`, type: 'downloadable', price: 29900, status: 'published', version: '2.0.0',
      shortDescription: `A product with two releases (${tag}).`, description: 'Two releases.',
    })
    createdProducts.push(product.id)
    await uploadSource(product.id, { name: 'Current release', version: '2.0.0', isPrimary: true, fileName: `kit-${tag}-2.0.0.txt`, content: `current ${tag}\n` })
    const legacy = await uploadSource(product.id, { name: 'Legacy release', version: '1.4.0', isPrimary: false, fileName: `kit-${tag}-1.4.0.txt`, content: `legacy ${tag}\n` })

    const page = await newPage()
    const email = uniqueEmail('owner')
    await signUp(page, { name: 'Version Owner', email, password: 'a long owner password' })
    const granted = await adminApi<{ license: { id: string } }>('POST', '/api/admin/licenses', {
      productId: product.id, email, type: 'commercial_single', reason: 'Browser test: an owner with two releases',
    })

    // The Download button (and its version menu) load once the page knows the visitor may download.
    await visit(page, `/products/${product.slug}`)
    await page.waitForFunction(() => document.querySelector('[data-testid="product-cta"]')?.textContent?.trim() === 'Download')
    // The owner is told so, with the way to their key, rather than the buyer's "after payment" note.
    const owned = page.getByTestId('product-owned')
    await owned.waitFor()
    expect(await owned.getByRole('link').getAttribute('href')).toBe(`/account/licenses/${granted.license.id}`)
    await page.getByTestId('product-cta-versions').click()
    const item = page.getByRole('menuitem', { name: /Legacy release/ })
    expect(await item.textContent()).toContain('v1.4.0')
    const picked = await downloadBy(page, () => item.click())
    expect(picked).toEqual({ name: legacy.fileName, size: legacy.fileSize, sha256: legacy.sha256 })
  }, 90_000)

  it('the administrator sees those downloads in the log and the chart', async () => {
    const page = await newPage()
    await signIn(page, process.env.E2E_ADMIN_EMAIL!, process.env.E2E_ADMIN_PASSWORD!)
    await visit(page, '/admin/downloads')
    await page.getByTestId('downloads-chart').waitFor()
    const log = page.getByTestId('downloads-log')
    await log.getByText('2048 Game Premium').first().waitFor()
    expect(await log.textContent()).toContain('Completed')
    await page.getByTestId('downloads-status-filter').click()
    await page.getByRole('option', { name: 'Denied' }).click()
    await page.waitForURL(url => url.searchParams.get('status') === 'denied')
    await waitForHydration(page)
  }, 60_000)
})
