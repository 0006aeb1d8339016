import { BlockList, isIP } from 'node:net';
import type { ApiKeyEnvironment } from '@mintreu/contracts';
import { sha256 } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import { randomFromAlphabet } from '../licensing/keys.js';

const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 43 base-62 characters: 43 × log2(62) ≈ 256.03 bits of randomness. */
export const secretLength = 43;
/** Characters of the secret part kept for display: enough to tell keys apart, far too few to use one. */
const prefixSecretChars = 8;

/** `mk_live_…` / `mk_test_…` followed by the secret part. */
export const apiKeyPattern = /^mk_(live|test)_[0-9A-Za-z]{32,128}$/;

/** The stored form of a key: SHA-256 hex of the full key. A key this random needs no slow or keyed hash. */
export const hashApiKey = (key: string) => sha256(key);

/** A new API key: the plain key (shown once), its hash (stored) and its display prefix (stored). */
export function generateApiKey(environment: ApiKeyEnvironment): { key: string; hash: string; prefix: string } {
  const secret = randomFromAlphabet(base62, secretLength);
  const head = `mk_${environment}_`;
  const key = head + secret;
  return { key, hash: hashApiKey(key), prefix: head + secret.slice(0, prefixSecretChars) };
}

/** A service token for `POST /api/keys/verify`: `mst_` + 43 base-62 characters. */
export function generateServiceToken(): { token: string; hash: string; prefix: string } {
  const token = `mst_${randomFromAlphabet(base62, secretLength)}`;
  return { token, hash: sha256(token), prefix: token.slice(0, 12) };
}

/**
 * The host of an `Origin` or `Referer` value: lower-case, without scheme, port, path or trailing dot.
 * Null when there is none or it does not parse.
 */
export function requestHost(origin: string | undefined, referer: string | undefined): string | null {
  for (const value of [origin, referer]) {
    if (!value || value === 'null') continue;
    try {
      const host = new URL(value).hostname.toLowerCase().replace(/\.$/, '');
      if (host) return host.replace(/^\[|\]$/g, '');
    } catch {
      // not a URL: try the next header
    }
  }
  return null;
}

export const isLocalHost = (host: string) => host === 'localhost' || host.endsWith('.localhost') || host === '127.0.0.1' || host === '::1';

/** `example.com` allows itself and its subdomains; `*.example.com` only subdomains. */
export function domainAllowed(host: string, allowed: string[]): boolean {
  return allowed.some((entry) => {
    if (entry.startsWith('*.')) return host.endsWith(entry.slice(1));
    return host === entry || host.endsWith(`.${entry}`);
  });
}

/** Normalises and checks an IP allow-list; throws VALIDATION_FAILED naming the bad entry. */
export function normaliseIpRules(rules: string[]): string[] {
  const out: string[] = [];
  for (const [index, raw] of rules.entries()) {
    const rule = raw.trim();
    const [address, bits] = rule.split('/');
    const family = isIP(address ?? '');
    const max = family === 4 ? 32 : 128;
    const okBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
    if (!family || !okBits) {
      throw new AppError('VALIDATION_FAILED', `"${rule}" is not an IP address or CIDR block`, {
        details: [{ path: `body.allowedIps.${index}`, message: 'An IPv4/IPv6 address or CIDR block such as 203.0.113.0/24' }],
      });
    }
    out.push(rule.toLowerCase());
  }
  return [...new Set(out)];
}

/** An allow-list compiled once per cached key: CIDR blocks and single addresses, IPv4 and IPv6. */
export function compileIpRules(rules: string[]): BlockList | null {
  if (rules.length === 0) return null;
  const list = new BlockList();
  for (const rule of rules) {
    const [address, bits] = rule.split('/');
    const type = isIP(address!) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address!, type);
    else list.addSubnet(address!, Number(bits), type);
  }
  return list;
}

export function ipAllowed(list: BlockList | null, ip: string): boolean {
  if (!list) return true;
  const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const family = isIP(plain);
  if (!family) return false;
  return list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
}
