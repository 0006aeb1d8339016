/**
 * The one way the web talks to the Fastify API.
 * In the browser requests go to the same origin (`/api/...`). During server-side rendering a relative URL would stay
 * inside Nitro, so requests go to `runtimeConfig.apiInternalBase` and carry the visitor's cookie; cookies the API
 * sets on those requests (a refreshed session) are passed back to the browser.
 */
export function useApi() {
  if (import.meta.client) {
    return $fetch.create({ baseURL: '', credentials: 'same-origin' })
  }

  const config = useRuntimeConfig()
  const headers = useRequestHeaders(['cookie'])
  const event = useRequestEvent()

  return $fetch.create({
    baseURL: config.apiInternalBase,
    headers,
    onResponse({ response }) {
      const res = event?.node.res
      if (!res || res.headersSent) return
      for (const cookie of response.headers.getSetCookie()) res.appendHeader('set-cookie', cookie)
    },
  })
}

export type ApiFetch = ReturnType<typeof useApi>
