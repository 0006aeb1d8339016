// The admin panel is for the admin role; signed-out visitors sign in first, everyone else gets a 403 page.
export default defineNuxtRouteMiddleware(async (to) => {
  const { loggedIn, isAdmin, ensureLoaded } = useSession()
  await ensureLoaded()
  if (!loggedIn.value) {
    return navigateTo({ path: '/sign-in', query: { redirect: to.fullPath } })
  }
  if (!isAdmin.value) {
    throw createError({
      status: 403,
      statusText: 'Forbidden',
      message: 'The admin panel is only open to administrators.',
      fatal: true,
    })
  }
})
