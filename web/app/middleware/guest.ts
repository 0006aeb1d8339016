// Sign-in and sign-up pages send people who are already signed in on to their account.
export default defineNuxtRouteMiddleware(async (to) => {
  const { loggedIn, ensureLoaded } = useSession()
  await ensureLoaded()
  if (loggedIn.value) return navigateTo(safeRedirect(to.query.redirect))
})
