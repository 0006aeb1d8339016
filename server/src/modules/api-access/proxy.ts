import type { IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and what the gateway never forwards: the caller's key, cookies, host. */
const requestDrop = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host', 'authorization', 'x-api-key', 'cookie', 'forwarded', 'x-forwarded-for',
  'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'expect',
]);
/** From the upstream: hop-by-hop, and cookies (they would be set on the platform's own domain). */
const responseDrop = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'set-cookie', 'set-cookie2', 'alt-svc', 'strict-transport-security',
]);

const unsafeValue = /[\r\n\0]/;

/**
 * The headers to forward as Node's and undici's flat `[name, value, …]` list (no header object to build per call),
 * `extra` appended; null when a value carries CR, LF or NUL (header injection).
 */
export function forwardRequestHeaders(headers: IncomingHttpHeaders, extra: readonly string[]): string[] | null {
  const named = headerTokens(headers.connection);
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || requestDrop.has(name) || named.has(name)) continue;
    if (typeof value === 'string') {
      if (unsafeValue.test(value)) return null;
      out.push(name, value);
    } else {
      for (const one of value) {
        if (unsafeValue.test(one)) return null;
        out.push(name, one);
      }
    }
  }
  for (const item of extra) out.push(item);
  return out;
}

/**
 * The answer's headers as a flat list: the platform's own (`[name, value, …]`) where the upstream did not send the
 * same name, then the upstream's without hop-by-hop ones and cookies.
 */
export function responseHeaders(own: readonly string[], upstream: Record<string, string | string[] | undefined>): string[] {
  const connection = upstream.connection;
  const named = headerTokens(Array.isArray(connection) ? connection.join(',') : connection);
  const out: string[] = [];
  for (let i = 0; i < own.length; i += 2) if (upstream[own[i]!] === undefined) out.push(own[i]!, own[i + 1]!);
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined || responseDrop.has(name) || named.has(name)) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const one of value) out.push(name, one);
  }
  return out;
}

const none = new Set<string>();
/** The header names a `Connection` header lists (hop-by-hop by declaration); most messages have none. */
const headerTokens = (value: string | undefined) =>
  value ? new Set(value.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean)) : none;

/**
 * The path after `/api/gateway/{slug}` as the caller sent it, checked: every segment decoded must not be `.` or
 * `..` nor hide a slash, backslash, NUL or line break. The raw (still encoded) form is what is forwarded.
 */
export function safeUpstreamPath(rawRest: string): string | null {
  const [path] = rawRest.split('?', 1);
  if (path === undefined || path.includes('\\')) return null;
  for (const segment of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return null;
    }
    if (decoded === '.' || decoded === '..' || /[/\\\0\r\n]/.test(decoded)) return null;
  }
  return path.startsWith('/') ? path : `/${path}`;
}

export interface Upstream { protocol: 'http:' | 'https:'; hostname: string; port: number; basePath: string; host: string }

/** A product's `apiConfig.baseUrl` parsed once; a relative one (`/api/demo-upstream/…`) is on this instance. */
export function parseUpstream(baseUrl: string, ownAddress: () => string): Upstream | null {
  try {
    const url = new URL(baseUrl, baseUrl.startsWith('/') ? ownAddress() : undefined);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return {
      protocol: url.protocol, hostname: url.hostname.replace(/^\[|\]$/g, ''), host: url.host,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)), basePath: url.pathname.replace(/\/+$/, ''),
    };
  } catch {
    return null;
  }
}

/**
 * Keep-alive connection pools to upstreams (undici: a much cheaper HTTP client than node:http), one per origin,
 * owned by one app instance and closed with it.
 */
export class UpstreamPools {
  private pools = new Map<string, Pool>();

  constructor(private readonly timeoutMs: number) {}

  get(upstream: Upstream): Pool {
    const origin = `${upstream.protocol}//${upstream.host}`;
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: 256, connect: { timeout: this.timeoutMs }, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, keepAliveTimeout: 10_000 });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close().catch(() => pool.destroy())));
  }
}
