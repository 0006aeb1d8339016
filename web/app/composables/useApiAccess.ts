// API products (API.md "API products and keys"): the customer's subscriptions, keys (shown once), their rules and
// usage; the admin's service tokens and usage overview.
import type {
  ApiKey, ApiKeyUsage, ApiKeyWithSecret, ApiSubscription, ApiUsageOverview, CreateApiKeyBody, ServiceToken, UpdateApiKeyBody,
} from '@mintreu/contracts'

export type { ApiKeyUsage, ApiKeyWithSecret, ApiSubscription, ApiUsageOverview, ServiceToken }

const enc = encodeURIComponent

export function useApiAccess() {
  const api = useApi()
  return {
    subscriptions: () => api<{ data: ApiSubscription[] }>('/api/api-subscriptions'),
    keys: () => api<{ data: ApiKey[] }>('/api/api-keys'),
    create: (body: CreateApiKeyBody) => api<ApiKeyWithSecret>('/api/api-keys', { method: 'POST', body }),
    update: (id: string, body: UpdateApiKeyBody) => api<ApiKey>(`/api/api-keys/${enc(id)}`, { method: 'PATCH', body }),
    rotate: (id: string, graceSeconds: number) => api<ApiKeyWithSecret>(`/api/api-keys/${enc(id)}/rotate`, { method: 'POST', body: { graceSeconds } }),
    revoke: (id: string) => api<ApiKey>(`/api/api-keys/${enc(id)}`, { method: 'DELETE' }),
    usage: (id: string, interval: 'hour' | 'day' = 'day') => api<ApiKeyUsage>(`/api/api-keys/${enc(id)}/usage`, { query: { interval } }),
    serviceTokens: () => api<{ data: ServiceToken[] }>('/api/admin/service-tokens'),
    createServiceToken: (name: string) => api<ServiceToken & { token: string }>('/api/admin/service-tokens', { method: 'POST', body: { name } }),
    revokeServiceToken: (id: string) => api<ServiceToken>(`/api/admin/service-tokens/${enc(id)}`, { method: 'DELETE' }),
    overview: (hours = 24) => api<ApiUsageOverview>('/api/admin/api-usage', { query: { hours } }),
  }
}

/** "12,340" */
export const formatCount = (n: number) => n.toLocaleString('en-US')
