import type { PlatformStatus } from '~/types/api'

/** GET /api/status — public kill-switch state, shared by every component that asks. */
export function usePlatformStatus() {
  const api = useApi()
  return useAsyncData('platform-status', () => api<PlatformStatus>('/api/status'), { default: () => null })
}
