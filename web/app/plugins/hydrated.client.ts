// Marks <html data-hydrated> once the page is interactive, so browser tests (and people debugging)
// know when it is safe to type into a server-rendered form.
export default defineNuxtPlugin((nuxtApp) => {
  nuxtApp.hooks.hookOnce('app:suspense:resolve', () => {
    document.documentElement.dataset.hydrated = 'true'
  })
})
