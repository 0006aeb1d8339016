import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP, isIPv4 } from 'node:net';

/**
 * Which hosts a source URL may name. Admins type source URLs, and the server fetches them (verify,
 * later downloads), so a URL must not reach loopback, private, link-local (cloud metadata) or other
 * special-purpose addresses (SSRF). ALLOW_PRIVATE_SOURCE_HOSTS lifts this, for tests and development only.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(net, prefix, 'ipv6');

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0]!.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const middle = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((group) => parseInt(group, 16));
}

const v4 = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;

/** IPv4 addresses carried inside IPv6 ones (mapped, compatible, NAT64, 6to4) are judged as IPv4. */
function embeddedIPv4(groups: number[]): string | null {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && (g5 === 0xffff || g5 === 0)) return v4(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return v4(g6, g7);
  if (g0 === 0x2002) return v4(g1, g2);
  return null;
}

/** Whether an IP address is one a source URL must not reach. Anything that is not an IP counts as forbidden. */
export function isForbiddenAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, '');
  if (isIPv4(ip)) return blocked.check(ip, 'ipv4');
  if (isIP(ip.split('%')[0]!) !== 6) return true;
  const groups = ipv6Groups(ip);
  const inner = embeddedIPv4(groups);
  if (inner) return blocked.check(inner, 'ipv4');
  return blocked.check(groups.map((g) => g.toString(16)).join(':'), 'ipv6');
}

export class ForbiddenHostError extends Error {}

export type Resolver = (hostname: string) => Promise<string[]>;

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses.map((a) => a.address)),
    );
  });

export interface HostPolicy {
  allowPrivate: boolean;
  /** Name resolution; the system's (dns.lookup) unless a test supplies another. */
  resolve?: Resolver;
  /** Which addresses are off limits; `isForbiddenAddress` unless a test narrows it. */
  forbidden?: (address: string) => boolean;
}

/**
 * Refuses URLs that are not http(s), that name `localhost`, or whose host is (or resolves to, on any
 * of its addresses) a forbidden address. Messages never repeat the URL.
 */
export async function assertAllowedUrl(url: string, policy: HostPolicy): Promise<URL> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ForbiddenHostError('must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ForbiddenHostError('must be an http(s) URL');
  if (policy.allowPrivate) return parsed;
  const forbidden = policy.forbidden ?? isForbiddenAddress;
  const host = parsed.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (isIP(host)) {
    if (forbidden(host)) throw new ForbiddenHostError('must not point at a private, loopback or link-local address');
    return parsed;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) throw new ForbiddenHostError('must not point at localhost');
  let addresses: string[];
  try {
    addresses = await (policy.resolve ?? systemResolver)(host);
  } catch {
    throw new ForbiddenHostError('names a host that cannot be resolved');
  }
  if (addresses.length === 0) throw new ForbiddenHostError('names a host that cannot be resolved');
  if (addresses.some((address) => forbidden(address))) {
    throw new ForbiddenHostError('must not point at a private, loopback or link-local address');
  }
  return parsed;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses forbidden addresses at connect time, so a host that
 * passed the check cannot be re-pointed (DNS rebinding) before the socket opens.
 */
export function guardedLookup(policy: HostPolicy) {
  const forbidden = policy.forbidden ?? isForbiddenAddress;
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      if (!policy.allowPrivate && addresses.some((a) => forbidden(a.address))) {
        return callback(Object.assign(new Error('forbidden address'), { code: 'EFORBIDDENHOST' }), []);
      }
      if ((options as LookupAllOptions).all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}
