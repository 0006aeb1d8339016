import type { SessionPayload } from '~/types/api'

/**
 * The signed-in person, fetched once per page load (during SSR, then carried to the browser in the payload) and
 * refreshed after sign-in, sign-out and profile changes.
 */
export function useSession() {
  const api = useApi()
  const state = useState<SessionPayload | null>('session', () => null)
  const loaded = useState<boolean>('session-loaded', () => false)

  const user = computed(() => state.value?.user ?? null)
  const loggedIn = computed(() => !!state.value?.user)
  const isAdmin = computed(() => state.value?.user.role === 'admin')

  // Components still waiting to hydrate (utils/lazy-hydration.ts) show the session they were rendered with:
  // hydrate them first.
  async function set(value: SessionPayload | null) {
    if (import.meta.client) await flushLazyHydration()
    state.value = value
  }

  async function refresh() {
    let value: SessionPayload | null
    try {
      value = await api<SessionPayload | null>('/api/auth/get-session')
    } catch {
      value = null
    }
    await set(value)
    loaded.value = true
    return state.value
  }

  async function ensureLoaded() {
    if (!loaded.value) await refresh()
    return state.value
  }

  async function signIn(input: { email: string; password: string; rememberMe?: boolean }) {
    await api('/api/auth/sign-in/email', { method: 'POST', body: input })
    await refresh()
  }

  async function signUp(input: { name: string; email: string; password: string }) {
    // callbackURL: where the emailed verification link lands once it has verified the address.
    await api('/api/auth/sign-up/email', { method: 'POST', body: { ...input, callbackURL: '/account' } })
    await refresh()
  }

  async function signOut() {
    try {
      await api('/api/auth/sign-out', { method: 'POST', body: {} })
    } finally {
      await set(null)
      loaded.value = true
    }
  }

  return { session: state, user, loggedIn, isAdmin, refresh, ensureLoaded, signIn, signUp, signOut }
}
