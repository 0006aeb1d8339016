// The admin panel is for the admin role; signed-out visitors sign in first, everyone else gets a 403 page.
export default defineNuxtRouteMiddleware(async (to) => {
  const { loggedIn, isAdmin, ensureLoaded } = useSession()
  await ensureLoaded()
  if (!loggedIn.value) {
    return navigateTo({ path: '/sign-in', query: { redirect: to.fullPath } })
  }
  if (!isAdmin.value) {
    // The server already rendered the 403 page; the browser hydrates it instead of raising the error again.
    if (import.meta.client && useNuxtApp().isHydrating && useError().value) return
    throw createError({
      status: 403,
      statusText: 'Forbidden',
      message: 'The admin panel is only open to administrators.',
      fatal: true,
    })
  }
})
