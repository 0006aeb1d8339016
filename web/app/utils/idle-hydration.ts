import type { HydrationStrategy } from 'vue'

// Server-rendered components that hydrate in idle time instead of during the page's first, synchronous hydration:
// each in its own idle callback, so the main thread is never blocked for long, and the first screen's content
// (already painted from the server's HTML) is not held up.
//
// They hydrate at the latest right before anything could make their server-rendered HTML stale: a route change
// (plugins/idle-hydration.client.ts) or a sign-in/out. Vue does not patch attribute mismatches when hydrating in
// production, so a component first hydrated after the route changed would keep the old route's classes and links.

const pending = new Set<() => void>()

/** Hydrates every component still waiting for idle time (called before route and session changes). */
export function flushIdleHydration() {
  for (const run of [...pending]) run()
}

export const hydrateOnIdleOrChange: HydrationStrategy = (hydrate) => {
  const schedule = window.requestIdleCallback ?? ((cb: () => void) => window.setTimeout(cb, 1))
  const cancel = window.cancelIdleCallback ?? window.clearTimeout
  const run = () => {
    if (!pending.delete(run)) return
    cancel(id)
    hydrate()
  }
  pending.add(run)
  const id = schedule(run, { timeout: 2000 })
  return () => {
    pending.delete(run)
    cancel(id)
  }
}
