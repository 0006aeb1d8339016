import { afterAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { asAdmin, baseURL, closeBrowser, newPage, signUp, uniqueEmail, visit, waitForHydration } from './support'

// Licences end to end, in two browsers against the running app: an admin grants a licence to a customer, the
// customer finds it and its page, installed software activates it (the public API, no session), the customer sees
// the activation and releases it, releases every activation through the emailed link, downloads the product's
// file, and sees the licence suspended (with no download) once the admin suspends it.

afterAll(closeBrowser)

const licenseKey = /^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/
const productTitle = '2048 Game Premium' // seeded demo product (server/src/modules/catalog/demo/data.ts)

/** Activates the licence as installed software would: the public API, no session. */
async function activate(page: Page, key: string, name: string) {
  const res = await page.request.post(`${baseURL}/api/licenses/activate`, {
    data: { key, name, fingerprint: `e2e-${name}-${Date.now().toString(36)}`, productSlug: '2048-game-premium' },
  })
  expect(res.status()).toBe(200)
  return await res.json() as { activated: boolean; code: string; license: { usageCount: number } }
}

/** The "release every activation" link emailed to `email` (the dev mailbox, read through the admin API). */
async function releaseAllLink(admin: Page, email: string): Promise<string> {
  const find = async () => {
    const list = await (await admin.request.get(`${baseURL}/api/admin/mailbox`)).json() as { data: { id: string; to: string; subject: string }[] }
    const mail = list.data.find(m => m.to === email && /release/i.test(m.subject))
    if (!mail) return null
    const message = await (await admin.request.get(`${baseURL}/api/admin/mailbox/${mail.id}`)).json() as { text: string | null; html: string | null }
    return /\/account\/licenses\/[\w-]+\?releaseAll=[\w-]+/.exec(message.text ?? message.html ?? '')?.[0] ?? null
  }
  let link: string | null = null
  await expect.poll(async () => (link = await find()), { timeout: 15_000 }).not.toBeNull()
  return link!
}

/** The seats shown on a licence page or card: "1 of 2". */
async function seats(page: Page) {
  return (await page.getByTestId('license-seats-label').first().textContent())?.replace(/\s+used$/, '').trim()
}

describe('licences', () => {
  it('grant → activate → release one → release all by email → download → suspend', async () => {
    const customer = await newPage()
    const email = uniqueEmail('licensee')
    await signUp(customer, { name: 'Licence Holder', email, password: 'a long licensee password' })

    // ——— The admin grants a licence with two seats to the customer ———
    const admin = await newPage()
    await asAdmin(admin)
    await visit(admin, '/admin/licenses')
    await admin.getByTestId('licenses-grant').click()
    const modal = admin.getByTestId('license-grant-modal')
    await modal.getByTestId('license-grant-form').waitFor()
    await modal.getByTestId('license-grant-product').click()
    await admin.getByPlaceholder('Search products…').fill('2048')
    await admin.getByRole('option', { name: new RegExp(productTitle) }).first().click()
    // Typing goes to the menu's search box until it has closed.
    await admin.getByRole('listbox').waitFor({ state: 'detached' })
    // Choosing a product brings its default licence type.
    expect(await modal.getByTestId('license-grant-type').textContent()).toContain('Commercial licence — 1 project')
    await modal.getByTestId('license-grant-email').fill(email)
    await modal.getByTestId('license-grant-seats').fill('2')
    await modal.getByTestId('license-grant-reason').fill('Browser test: a licence by hand')
    await modal.getByTestId('license-grant-submit').click()

    // The key is shown once, with a way to the licence.
    const keyText = modal.getByTestId('license-grant-key')
    await keyText.waitFor()
    const key = (await keyText.textContent())!.trim()
    expect(key).toMatch(licenseKey)
    const licenseHref = await modal.getByTestId('license-grant-open').getAttribute('href')
    const licenseId = licenseHref!.split('/').pop()!
    expect(licenseId).toMatch(/^lic_/)
    await modal.getByTestId('license-grant-done').click()
    await modal.waitFor({ state: 'detached' })

    // The list finds it by the holder's email and by the key's last four characters.
    await admin.getByTestId('licenses-search').fill(email)
    await admin.getByTestId(`license-row-${licenseId}`).waitFor()
    await admin.getByTestId('licenses-search').fill(key.slice(-4))
    await admin.getByTestId(`license-row-${licenseId}`).waitFor()
    expect(await admin.getByTestId(`license-seats-${licenseId}`).textContent()).toContain('0 / 2')

    // ——— The customer sees it, and its page ———
    await visit(customer, '/account/licenses')
    const card = customer.locator(`[data-testid="license-card"][data-license-id="${licenseId}"]`)
    await card.waitFor()
    expect(await card.getAttribute('data-status')).toBe('active')
    expect(await card.getByTestId('license-seats-label').textContent()).toContain('0 of 2')
    await card.getByTestId('license-card-details').click()
    await customer.waitForURL(url => url.pathname === `/account/licenses/${licenseId}`)
    await waitForHydration(customer)
    expect(await customer.getByTestId('license-product').textContent()).toContain(productTitle)
    expect(await customer.getByTestId('license-detail-key').textContent()).not.toContain(key)
    await customer.getByTestId('license-detail-reveal').click()
    expect((await customer.getByTestId('license-detail-key').textContent())?.trim()).toBe(key)
    await customer.getByTestId('license-activations-empty').waitFor()
    // The how-to snippet carries this site's address and the key.
    expect(await customer.getByTestId('license-snippet-activate').textContent()).toContain(`${new URL(customer.url()).origin}/api/licenses/activate`)
    expect(await customer.getByTestId('license-snippet-activate').textContent()).toContain(key)

    // ——— Installed software activates it (the public API: no session) ———
    expect(await activate(customer, key, 'E2E workstation')).toMatchObject({ activated: true, code: 'VALID', license: { usageCount: 1 } })

    // The customer sees the activation and the seat it takes.
    await visit(customer, `/account/licenses/${licenseId}`)
    const row = customer.getByTestId('license-activation').filter({ hasText: 'E2E workstation' })
    await row.waitFor()
    expect(await seats(customer)).toBe('1 of 2')
    expect(await customer.getByTestId('license-release-budget').textContent()).toMatch(/\d+ of \d+ releases? left/)

    // ——— …and releases it: the seat is free again ———
    await row.getByTestId('license-activation-release').click()
    await customer.getByTestId('license-release-confirm').click()
    await customer.getByTestId('license-activations-empty').waitFor()
    expect(await seats(customer)).toBe('0 of 2')

    // ——— Two more machines take both seats; "Release all" frees them after an emailed confirmation ———
    await activate(customer, key, 'E2E laptop')
    expect(await activate(customer, key, 'E2E build box')).toMatchObject({ activated: true, license: { usageCount: 2 } })
    await visit(customer, `/account/licenses/${licenseId}`)
    await customer.getByTestId('license-activation').filter({ hasText: 'E2E build box' }).waitFor()
    expect(await seats(customer)).toBe('2 of 2')
    await customer.getByTestId('license-release-all').click()
    await customer.getByTestId('license-release-all-sent').waitFor()
    const link = await releaseAllLink(admin, email)
    expect(link).toContain(`/account/licenses/${licenseId}?releaseAll=`)
    await visit(customer, link)
    const box = customer.getByTestId('license-release-all-box')
    expect(await box.textContent()).toContain('2 activations')
    await customer.getByTestId('license-release-all-confirm').click()
    await customer.getByTestId('license-activations-empty').waitFor()
    expect(await seats(customer)).toBe('0 of 2')
    await box.waitFor({ state: 'detached' })
    expect(new URL(customer.url()).searchParams.has('releaseAll')).toBe(false)

    // The product's files download from the licence page.
    const fileButton = customer.locator('[data-testid^="license-file-download-"]').first()
    await fileButton.waitFor()
    const [download] = await Promise.all([customer.waitForEvent('download'), fileButton.click()])
    expect(download.suggestedFilename()).toMatch(/^2048-game-premium.*\.zip$/)

    // ——— The admin suspends it; the customer sees it suspended ———
    await visit(admin, `/admin/licenses/${licenseId}`)
    const detail = admin.getByTestId('admin-license-detail')
    await detail.waitFor()
    // The released activation stays in the admin's history.
    expect(await admin.getByTestId('admin-license-activation').filter({ hasText: 'E2E workstation' }).getAttribute('data-released')).toBe('true')
    await admin.getByTestId('license-suspend').click()
    await admin.getByTestId('reason-textarea').fill('Browser test: suspended')
    await admin.getByTestId('reason-confirm').click()
    await admin.getByTestId('license-reinstate').waitFor()
    expect(await detail.getAttribute('data-status')).toBe('disabled')
    await admin.getByTestId('admin-license-audit-entry').filter({ hasText: 'Browser test: suspended' }).waitFor()

    await visit(customer, `/account/licenses/${licenseId}`)
    const summary = customer.getByTestId('license-summary')
    await summary.waitFor()
    expect(await summary.getAttribute('data-status')).toBe('disabled')
    expect(await summary.getByTestId('license-status').getAttribute('data-status')).toBe('disabled')
    expect(await summary.getByTestId('license-status').textContent()).toContain('Suspended')
    // A suspended licence lists its files but offers no download.
    await customer.getByTestId('license-file').first().waitFor()
    expect(await customer.locator('[data-testid^="license-file-download-"]').count()).toBe(0)
    await visit(customer, '/account/licenses')
    expect(await customer.locator(`[data-testid="license-card"][data-license-id="${licenseId}"]`).getAttribute('data-status')).toBe('disabled')
  }, 180_000)
})
