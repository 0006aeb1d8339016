// Start-up in three tasks instead of one: evaluating the app and running its plugins, then the first navigation,
// then hydration, with a yield to the browser in between (it can paint and take input; no single task blocks it
// for as long). Each yield is a zero-delay timeout.
const yieldToBrowser = () => new Promise<void>(resolve => setTimeout(resolve, 0))

export default defineNuxtPlugin({
  name: 'yield-to-browser',
  enforce: 'post',
  async setup(nuxtApp) {
    nuxtApp.hooks.hook('app:beforeMount', () => yieldToBrowser())
    await yieldToBrowser()
  },
})
