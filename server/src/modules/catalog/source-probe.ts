import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { userAgent } from '../../adapters/git/http.js';
import { assertAllowedUrl, ForbiddenHostError, guardedLookup, type HostPolicy } from './source-net.js';

export interface ProbeResult {
  /** Bytes, from Content-Length (or Content-Range's total); null when the server does not say. */
  size: number | null;
  contentType: string | null;
}

/** Why a probe failed, in words safe for an admin to read: never the URL, host or token. */
export class ProbeError extends Error {}

const messages: Record<string, string> = {
  ENOTFOUND: 'the host could not be resolved',
  EAI_AGAIN: 'the host could not be resolved',
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the request timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  EFORBIDDENHOST: 'the URL points at a private, loopback or link-local address',
  CERT_HAS_EXPIRED: "the server's TLS certificate has expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's TLS certificate is not trusted",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's TLS certificate is not trusted",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's TLS certificate is not trusted",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's TLS certificate does not match its name",
};

function request(url: URL, method: 'HEAD' | 'GET', policy: HostPolicy, timeoutMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, {
      method,
      lookup: guardedLookup(policy) as never,
      headers: { 'user-agent': userAgent, accept: '*/*', ...(method === 'GET' ? { range: 'bytes=0-0' } : {}) },
      timeout: timeoutMs,
    });
    req.on('response', resolve);
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => reject(new ProbeError(messages[error.code ?? ''] ?? 'the request failed')));
    req.end();
  });
}

function sizeOf(response: IncomingMessage): number | null {
  const range = /\/(\d+)$/.exec(response.headers['content-range'] ?? '');
  if (response.statusCode === 206 && range) return Number(range[1]);
  const length = response.headers['content-length'];
  return length !== undefined && /^\d+$/.test(length) ? Number(length) : null;
}

/**
 * HEAD the URL, following at most `maxRedirects` redirects; every hop is checked against the host
 * policy again (a public URL may redirect to a private one). Servers that refuse HEAD (403/405/501,
 * as presigned S3 URLs do) are asked for the first byte with a ranged GET instead.
 */
export async function probeUrl(url: string, policy: HostPolicy, options: { maxRedirects?: number; timeoutMs?: number } = {}): Promise<ProbeResult> {
  const maxRedirects = options.maxRedirects ?? 3;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let current = url;
  for (let hop = 0; hop <= maxRedirects; hop++) {
    let target: URL;
    try {
      target = await assertAllowedUrl(current, policy);
    } catch (error) {
      if (error instanceof ForbiddenHostError) throw new ProbeError(`${hop === 0 ? 'the URL' : 'a redirect'} ${error.message}`);
      throw error;
    }
    let response = await request(target, 'HEAD', policy, timeoutMs);
    response.resume();
    if ([403, 405, 501].includes(response.statusCode ?? 0)) {
      response = await request(target, 'GET', policy, timeoutMs);
      response.destroy(); // headers are all we want
    }
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && status !== 304) {
      const location = response.headers.location;
      if (!location) throw new ProbeError(`the server answered ${status} without a Location`);
      try {
        current = new URL(location, target).toString();
      } catch {
        throw new ProbeError('a redirect went to an invalid URL');
      }
      continue;
    }
    if (status < 200 || status >= 300) throw new ProbeError(`the server answered ${status}`);
    return { size: sizeOf(response), contentType: response.headers['content-type'] ?? null };
  }
  throw new ProbeError(`more than ${maxRedirects} redirects`);
}
