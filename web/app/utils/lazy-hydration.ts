import type { Component, HydrationStrategy } from 'vue'

// Server-rendered components that hydrate after the page's first, synchronous hydration instead of inside it:
// each in a task of its own, so the main thread is never blocked for long, and what the server rendered (already
// painted) stays on screen meanwhile.
//
// They hydrate at the latest right before anything could make their server-rendered HTML stale: a route change
// (plugins/lazy-hydration.client.ts) or a sign-in/out (useSession). Vue does not patch attribute mismatches when
// hydrating in production, so a component first hydrated after the route changed would keep the old route's
// classes and links.

const pending = new Set<() => void>()

/**
 * Hydrates every component still waiting (awaited before route and session changes). In a microtask of its own:
 * router guards run inside the app's runWithContext, where inject() would resolve against the app's provides
 * instead of each component's parents'.
 */
export async function flushLazyHydration() {
  await Promise.resolve()
  for (const run of [...pending]) run()
}

type ForEachElement = Parameters<HydrationStrategy>[1]

function waitFor(start: (run: () => void, forEachElement: ForEachElement) => () => void): HydrationStrategy {
  return (hydrate, forEachElement) => {
    let stop = () => {}
    const run = () => {
      if (!pending.delete(run)) return
      stop()
      hydrate()
    }
    pending.add(run)
    stop = start(run, forEachElement)
    return () => {
      pending.delete(run)
      stop()
    }
  }
}

/** Runs `run` in a task of its own when the browser is idle (or soon, where there is no requestIdleCallback). */
function whenIdle(run: () => void): () => void {
  if (!window.requestIdleCallback) {
    const id = window.setTimeout(run, 1)
    return () => window.clearTimeout(id)
  }
  const id = window.requestIdleCallback(run, { timeout: 2000 })
  return () => window.cancelIdleCallback(id)
}

/** Hydrate when the browser is idle. */
export const hydrateOnIdleOrChange: HydrationStrategy = waitFor(run => whenIdle(run))

/**
 * Hydrate once any of the component's elements is near the viewport, in idle time. Unlike Vue's hydrateOnVisible,
 * nothing is measured during the page's hydration (that forces a layout per component), and components that come
 * into view together still hydrate one per task.
 */
export const hydrateOnVisibleOrChange: HydrationStrategy = waitFor((run, forEachElement) => {
  let cancelIdle: (() => void) | undefined
  const observer = new IntersectionObserver((entries) => {
    if (cancelIdle || !entries.some(entry => entry.isIntersecting)) return
    observer.disconnect()
    cancelIdle = whenIdle(run)
  }, { rootMargin: '200px' })
  forEachElement(el => observer.observe(el))
  return () => {
    observer.disconnect()
    cancelIdle?.()
  }
})

/** An async component (its own chunk) that hydrates with `strategy`; on the client after hydration it just renders. */
export function lazyHydrated(loader: () => Promise<Component | { default: Component }>, strategy: HydrationStrategy) {
  return defineAsyncComponent({ loader, hydrate: strategy })
}
