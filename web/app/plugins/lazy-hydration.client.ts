// Components that hydrate later (utils/lazy-hydration.ts) hydrate before the route changes, while the page still
// shows what the server rendered for them. (useSession does the same before the session changes.)
export default defineNuxtPlugin(() => {
  useRouter().beforeEach(() => flushLazyHydration())
})
