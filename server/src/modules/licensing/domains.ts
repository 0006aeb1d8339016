/**
 * Domains as installed software reports them: `https://Shop.Example.com:8443/path`, `bücher.de`, `localhost`.
 * Stored and compared as a lower-case ASCII host name (IDNA), so one site is one activation however it is typed.
 */

const hostPattern = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const ipv6Pattern = /^[0-9a-f:.]+$/;

/** The host of a domain or URL in canonical form, or null when it is not one. */
export function normaliseDomain(input: string): string | null {
  const raw = input.trim();
  if (!raw || /[\s\\@]/.test(raw)) return null;
  let host: string;
  try {
    host = new URL(raw.includes('://') ? raw : `http://${raw}`).hostname;
  } catch {
    return null;
  }
  if (host.startsWith('[') && host.endsWith(']')) {
    host = host.slice(1, -1);
    return ipv6Pattern.test(host) ? host : null;
  }
  host = host.replace(/\.$/, '');
  return hostPattern.test(host) ? host : null;
}

const developmentSuffixes = ['.localhost', '.test', '.local'];

/**
 * Hosts where developers run the software before it goes live: activating there never takes a seat, and
 * validating there needs no activation.
 */
export function isDevelopmentDomain(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '::1'
    || developmentSuffixes.some((suffix) => host.endsWith(suffix));
}
