// Load the session once per page load: on the server for SSR, and in the browser only if the server did not.
export default defineNuxtPlugin(async () => {
  await useSession().ensureLoaded()
})
