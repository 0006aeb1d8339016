import { afterAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { asAdmin, baseURL, closeBrowser, newPage, signUp, uniqueEmail, visit, waitForHydration } from './support'

// Licences end to end, in two browsers against the running app: an admin grants a licence to a customer, the
// customer finds it and its page, installed software activates it (the public API, no session), the customer sees
// the activation and releases it, downloads the product's file, and sees the licence suspended (and no download)
// once the admin suspends it.

afterAll(closeBrowser)

const licenseKey = /^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/
const productTitle = '2048 Game Premium' // seeded demo product (server/src/modules/catalog/demo/data.ts)

/** The seats shown on a licence page or card: "1 of 2". */
async function seats(page: Page) {
  return (await page.getByTestId('license-seats-label').first().textContent())?.replace(/\s+used$/, '').trim()
}

describe('licences', () => {
  it('grant → activate → see and release the activation → suspend', async () => {
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
    const activated = await customer.request.post(`${baseURL}/api/licenses/activate`, {
      data: { key, name: 'E2E workstation', fingerprint: `e2e-${Date.now().toString(36)}`, productSlug: '2048-game-premium' },
    })
    expect(activated.status()).toBe(200)
    const outcome = await activated.json() as { activated: boolean; code: string; license: { usageCount: number } }
    expect(outcome).toMatchObject({ activated: true, code: 'VALID', license: { usageCount: 1 } })

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
