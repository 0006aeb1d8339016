import type { ApiError } from '~/utils/api-error'

/** Toasts for the outcome of an action; errors show the API's own message. */
export function useNotify() {
  const toast = useToast()

  function success(title: string, description?: string) {
    toast.add({ title, description, color: 'success', icon: 'i-lucide-circle-check' })
  }

  function error(err: unknown, title = 'That did not work'): ApiError {
    const apiError = toApiError(err)
    toast.add({ title, description: apiError.message, color: 'error', icon: 'i-lucide-circle-alert' })
    return apiError
  }

  return { success, error }
}
