/** A local path to go to after signing in; anything else (absent, absolute, protocol-relative) becomes /account. */
export function safeRedirect(value: unknown, fallback = '/account'): string {
  const target = Array.isArray(value) ? value[0] : value
  if (typeof target !== 'string' || !target.startsWith('/') || target.startsWith('//') || target.startsWith('/\\')) {
    return fallback
  }
  return target
}
