import { afterAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { asAdmin, baseURL, closeBrowser, newPage, visit } from './support'

afterAll(closeBrowser)

async function setPayments(admin: Page, engaged: boolean, reason: string) {
  const toggle = admin.getByTestId('kill-switch-payments')
  if ((await toggle.getAttribute('aria-checked')) === String(engaged)) return
  await toggle.click()
  await admin.getByTestId('reason-textarea').fill(reason)
  await admin.getByTestId('reason-confirm').click()
  await admin.locator(`[data-testid="kill-switch-payments"][aria-checked="${engaged}"]`).waitFor()
}

describe('kill switches', () => {
  it('engaging payments on /admin/system shows visitors the banner, releasing it hides it', async () => {
    const admin = await asAdmin(await newPage())
    try {
      await visit(admin, '/admin/system')
      await setPayments(admin, false, 'E2E: start from a running state')

      const reason = `E2E: pausing purchases for a browser test (${Date.now()})`
      await setPayments(admin, true, reason)
      await admin.getByTestId('kill-switch-history-payments').getByText(reason).waitFor()

      const visitor = await newPage()
      await visit(visitor, '/')
      const banner = visitor.getByTestId('kill-switch-banner')
      await banner.waitFor()
      expect(await banner.textContent()).toContain('Purchases are paused right now')
      expect(await visitor.getByTestId('kill-switch-banner-payments').isVisible()).toBe(true)

      await setPayments(admin, false, 'E2E: browser test finished')
      await visit(visitor, '/')
      expect(await visitor.getByTestId('kill-switch-banner').count()).toBe(0)
    } finally {
      // Never leave purchases paused, even when an assertion above failed.
      await admin.request.put(`${baseURL}/api/admin/kill-switches/payments`, {
        data: { engaged: false, reason: 'E2E cleanup: release payments' },
      }).catch(() => {})
    }
  }, 90_000)
})
