import type { FormError } from '@nuxt/ui'

/** The API's one error shape: `{ error: { code, message, requestId, details? } }`. */
export interface ApiError {
  status: number | null
  code: string
  message: string
  requestId: string | null
  details: unknown
}

interface FetchLikeError {
  status?: number
  statusCode?: number
  data?: unknown
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/** Normalises whatever `$fetch` threw into the API's error shape, with a message fit for a person. */
export function toApiError(err: unknown): ApiError {
  const fetchError = (isRecord(err) ? err : {}) as FetchLikeError
  const status = fetchError.status ?? fetchError.statusCode ?? null
  const data = fetchError.data
  const body = isRecord(data) && isRecord(data.error) ? data.error : isRecord(data) ? data : null

  if (body && typeof body.message === 'string' && body.message) {
    return {
      status,
      code: typeof body.code === 'string' ? body.code : `HTTP_${status ?? 'ERROR'}`,
      message: body.message,
      requestId: typeof body.requestId === 'string' ? body.requestId : null,
      details: body.details ?? null,
    }
  }
  if (!status) {
    return {
      status: null,
      code: 'NETWORK_ERROR',
      message: 'Could not reach the server. Check your connection and try again.',
      requestId: null,
      details: null,
    }
  }
  return {
    status,
    code: `HTTP_${status}`,
    message: status >= 500 ? 'Something went wrong on our side. Please try again.' : `The request failed (${status}).`,
    requestId: null,
    details: null,
  }
}

/**
 * VALIDATION_FAILED details as UForm errors: `[{ path, message }]` → `[{ name, message }]`.
 * A path may be `email`, `body.email` or `['body', 'email']`; the form field is its last segment.
 */
export function toFormErrors(error: ApiError): FormError[] {
  if (error.code !== 'VALIDATION_FAILED' || !Array.isArray(error.details)) return []
  return error.details.flatMap((item: unknown) => {
    if (!isRecord(item) || typeof item.message !== 'string') return []
    const segments = Array.isArray(item.path) ? item.path.map(String) : String(item.path ?? '').split('.')
    const name = segments.filter(Boolean).at(-1)
    return name ? [{ name, message: item.message }] : []
  })
}
