// Signed-in people only; everyone else goes to /sign-in and comes back here afterwards.
export default defineNuxtRouteMiddleware(async (to) => {
  const { loggedIn, ensureLoaded } = useSession()
  await ensureLoaded()
  if (!loggedIn.value) {
    return navigateTo({ path: '/sign-in', query: { redirect: to.fullPath } })
  }
})
