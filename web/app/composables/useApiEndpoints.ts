// The gateway endpoints of an API product (admin, the product's Plans tab): listed, added, edited and removed.
import type { ApiEndpoint, ApiEndpointBody, UpdateApiEndpointBody } from '@mintreu/contracts'

export type { ApiEndpoint }

export const endpointMethods = ['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const
export type EndpointMethod = (typeof endpointMethods)[number]

const enc = encodeURIComponent

export function useApiEndpoints() {
  const api = useApi()
  return {
    list: (productId: string) => api<{ data: ApiEndpoint[] }>(`/api/admin/products/${enc(productId)}/api-endpoints`).then(r => r.data),
    create: (productId: string, body: ApiEndpointBody) => api<ApiEndpoint>(`/api/admin/products/${enc(productId)}/api-endpoints`, { method: 'POST', body }),
    update: (id: string, body: UpdateApiEndpointBody) => api<ApiEndpoint>(`/api/admin/api-endpoints/${enc(id)}`, { method: 'PATCH', body }),
    remove: (id: string) => api(`/api/admin/api-endpoints/${enc(id)}`, { method: 'DELETE' }),
  }
}

export interface EndpointDraft {
  method: EndpointMethod
  path: string
  name: string
  weight: number
  planIds: string[]
  isActive: boolean
}

export function endpointDraft(endpoint: ApiEndpoint): EndpointDraft {
  return { method: endpoint.method, path: endpoint.path, name: endpoint.name, weight: endpoint.weight, planIds: [...endpoint.planIds], isActive: endpoint.isActive }
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every(x => b.includes(x))

/**
 * `PATCH /api/admin/api-endpoints/{id}` from the editor: only what differs (plans compared as a set); null when
 * nothing does.
 */
export function endpointChange(current: ApiEndpoint, draft: EndpointDraft): UpdateApiEndpointBody | null {
  const out: UpdateApiEndpointBody = {}
  const path = draft.path.trim()
  if (draft.method !== current.method) out.method = draft.method
  if (path !== current.path) out.path = path
  // A name that was only "METHOD /path" follows the method and path; an emptied one falls back to them.
  const autoNamed = current.name === `${current.method} ${current.path}` && draft.name.trim() === current.name
  const name = autoNamed || !draft.name.trim() ? `${draft.method} ${path}` : draft.name.trim()
  if (name !== current.name) out.name = name
  if (draft.weight !== current.weight) out.weight = draft.weight
  if (!sameSet(draft.planIds, current.planIds)) out.planIds = [...draft.planIds]
  if (draft.isActive !== current.isActive) out.isActive = draft.isActive
  return Object.keys(out).length ? out : null
}

/** "every plan", or the plans' names (an id no longer among them shows as is). */
export function planNames(ids: readonly string[], plans: readonly { id: string; name: string }[]): string {
  return ids.length ? ids.map(id => plans.find(p => p.id === id)?.name ?? id).join(', ') : 'every plan'
}
