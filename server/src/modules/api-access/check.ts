import type { VerifyCode } from '@mintreu/contracts';
import { licenseStatus } from '../licensing/service.js';
import { domainAllowed, ipAllowed, isLocalHost } from './keys.js';
import { matchEndpoint, type CachedKey, type CompiledEndpoint } from './key-cache.js';

export type Refusal = { code: Exclude<VerifyCode, 'VALID' | 'RATE_LIMITED' | 'USAGE_EXCEEDED'> | 'ENDPOINT_NOT_FOUND'; message: string };

/** Whether a key may be used now, for this product, from this address and page: the gateway's and verify's rules. */
export function checkKey(
  key: CachedKey | null,
  input: { productSlug?: string; ip?: string | null; host: string | null; now: Date },
): Refusal | null {
  if (!key) return { code: 'NOT_FOUND', message: 'Unknown API key' };
  if (key.state === 'revoked') return { code: 'REVOKED', message: 'This API key was revoked' };
  if (key.expiresAt && key.expiresAt.getTime() <= input.now.getTime()) return { code: 'EXPIRED', message: 'This API key has expired' };
  const status = licenseStatus({ state: key.license.state, expiresAt: key.license.expiresAt, maxUsage: key.license.maxUsage, usageCount: key.license.usageCount }, input.now);
  if (status === 'revoked' || status === 'disabled') return { code: 'REVOKED', message: 'The subscription behind this key is not active' };
  if (status === 'expired') return { code: 'EXPIRED', message: 'The subscription behind this key has expired' };
  if (input.productSlug !== undefined && input.productSlug !== key.product.slug) {
    return { code: 'FORBIDDEN', message: 'This key is not for this API' };
  }
  if (input.ip != null && !ipAllowed(key.ipRules, input.ip)) return { code: 'FORBIDDEN', message: 'Calls from this IP address are not allowed for this key' };
  if (!hostAllowed(key, input.host)) return { code: 'FORBIDDEN', message: 'Calls from this origin are not allowed for this key' };
  return null;
}

/**
 * Test keys may always be used from localhost. A key with allowed domains needs an `Origin` or `Referer` naming one
 * of them; a key with none is not limited by origin (server-to-server calls send none).
 */
function hostAllowed(key: CachedKey, host: string | null): boolean {
  if (host && key.environment === 'test' && isLocalHost(host)) return true;
  if (key.allowedDomains.length === 0) return true;
  return host !== null && domainAllowed(host, key.allowedDomains);
}

/** The endpoint a call is for and what it costs; a refusal when the product lists endpoints and this is not one of the plan's. */
export function endpointOf(key: CachedKey, method: string, path: string): { endpoint: CompiledEndpoint | null; label: string; cost: number } | Refusal {
  if (!key.restricted) return { endpoint: null, label: `${method} /${path.split('/')[1] ?? ''}`, cost: 1 };
  const endpoint = matchEndpoint(key.endpoints, method, path);
  if (!endpoint) return { code: 'ENDPOINT_NOT_FOUND', message: `${method} ${path} is not an endpoint of this API` };
  if (endpoint.planIds.length > 0 && (!key.plan || !endpoint.planIds.includes(key.plan.id))) {
    return { code: 'FORBIDDEN', message: `${endpoint.label} is not part of your plan` };
  }
  return { endpoint, label: endpoint.label, cost: endpoint.weight };
}
