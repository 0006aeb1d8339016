import { afterAll, describe, expect, it } from 'vitest'
import { closeBrowser, newPage, signIn, signOut, signUp, uniqueEmail, visit } from './support'

afterAll(closeBrowser)

describe('accounts', () => {
  it('signs up, signs out and signs in again, landing on /account', async () => {
    const page = await newPage()
    const user = { name: 'E2E Customer', email: uniqueEmail('signup'), password: 'correct-horse-battery' }

    await signUp(page, user)
    expect(new URL(page.url()).pathname).toBe('/account')
    expect(await page.getByTestId('account-welcome').textContent()).toContain(user.name)

    await visit(page, '/')
    await signOut(page)

    // Signed out, the account area sends you to sign in and back.
    await visit(page, '/account')
    expect(new URL(page.url()).pathname).toBe('/sign-in')
    expect(new URL(page.url()).searchParams.get('redirect')).toBe('/account')

    await signIn(page, user.email, user.password)
    expect(new URL(page.url()).pathname).toBe('/account')
    expect(await page.getByTestId('account-welcome').textContent()).toContain(user.name)
  }, 60_000)
})
