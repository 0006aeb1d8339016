// Browser-test helpers: Debian's chromium driven by playwright-core, one isolated context per page,
// and every unexpected console error or uncaught page error fails the test.
import { chromium, type Browser, type Page } from 'playwright-core'
import { onTestFinished } from 'vitest'

export const baseURL = (process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '')

const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

let browser: Browser | undefined

export async function launchBrowser(): Promise<Browser> {
  browser ??= await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: chromiumArgs,
  })
  return browser
}

export async function closeBrowser() {
  await browser?.close()
  browser = undefined
}

const consoleErrors = new WeakMap<Page, string[]>()
const allowed = new WeakMap<Page, RegExp[]>()

/** Console errors a test expects (e.g. the 401 a browser logs for a deliberately wrong password). */
export function allowConsoleError(page: Page, pattern: RegExp) {
  allowed.get(page)?.push(pattern)
}

/** Throws if the page logged an error that was not allowed. Called automatically when the test ends. */
export function expectNoConsoleErrors(page: Page) {
  const errors = consoleErrors.get(page) ?? []
  if (errors.length) {
    throw new Error(`Unexpected browser console errors:\n${errors.map(e => `  - ${e}`).join('\n')}`)
  }
}

/**
 * A page in a fresh browser context (its own cookies), with relative URLs resolved against `url`. `bypassCSP` lets a
 * test serve a stand-in for a third-party script that the app's CSP refuses (Razorpay's Checkout.js).
 */
export async function newPage(url: string = baseURL, options: { bypassCSP?: boolean } = {}): Promise<Page> {
  const b = await launchBrowser()
  const context = await b.newContext({ baseURL: url, viewport: { width: 1280, height: 900 }, bypassCSP: options.bypassCSP ?? false })
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  const errors: string[] = []
  consoleErrors.set(page, errors)
  allowed.set(page, [])
  const record = (text: string) => {
    if (!allowed.get(page)?.some(p => p.test(text))) errors.push(text)
  }
  page.on('console', (msg) => {
    if (msg.type() === 'error') record(`${msg.text()} (${msg.location().url || page.url()})`)
  })
  page.on('pageerror', error => record(`uncaught: ${error.message}`))

  try {
    // Inside a test: check the console, then close the context, when the test ends.
    onTestFinished(async () => {
      try {
        expectNoConsoleErrors(page)
      } finally {
        await context.close().catch(() => {})
      }
    })
  } catch {
    // Created in a hook: the caller checks with expectNoConsoleErrors() and closes the context.
  }
  return page
}

/** Navigates and waits until Nuxt has hydrated the server-rendered page. */
export async function visit(page: Page, path: string) {
  await page.goto(path)
  await waitForHydration(page)
}

export async function waitForHydration(page: Page) {
  await page.waitForSelector('html[data-hydrated="true"]', { state: 'attached' })
}

function pathOf(page: Page) {
  return new URL(page.url()).pathname
}

export async function signUp(page: Page, input: { name: string; email: string; password: string }) {
  await visit(page, '/sign-up')
  await page.getByTestId('sign-up-name').fill(input.name)
  await page.getByTestId('sign-up-email').fill(input.email)
  await page.getByTestId('sign-up-password').fill(input.password)
  await page.getByTestId('sign-up-submit').click()
  await page.waitForURL(url => url.pathname === '/account')
  await page.getByTestId('account-welcome').waitFor()
}

export async function signIn(page: Page, email: string, password: string, redirect?: string) {
  await visit(page, redirect ? `/sign-in?redirect=${encodeURIComponent(redirect)}` : '/sign-in')
  await page.getByTestId('sign-in-email').fill(email)
  await page.getByTestId('sign-in-password').fill(password)
  await page.getByTestId('sign-in-submit').click()
  const target = redirect ?? '/account'
  await page.waitForURL(url => url.pathname === target.split('?')[0])
  if (pathOf(page) === '/account') await page.getByTestId('account-welcome').waitFor()
}

export async function signOut(page: Page) {
  await page.getByTestId('user-menu').first().click()
  await page.getByTestId('sign-out').click()
  await page.waitForURL(url => url.pathname === '/')
  await page.getByTestId('header-sign-in').waitFor()
}

/** Signs the page in as the administrator from E2E_ADMIN_EMAIL / E2E_ADMIN_PASSWORD. */
export async function asAdmin(page: Page): Promise<Page> {
  const email = process.env.E2E_ADMIN_EMAIL
  const password = process.env.E2E_ADMIN_PASSWORD
  if (!email || !password) throw new Error('Set E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD to run admin browser tests')
  await signIn(page, email, password)
  return page
}

export function uniqueEmail(prefix = 'e2e') {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.test`
}
