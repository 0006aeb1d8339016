import type { ByteRange } from '../../adapters/storage/index.js';

/** What to send for a request's `Range` (RFC 9110 §14): the whole file, one range, or 416. */
export type RangeOutcome = { kind: 'full' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

const spec = /^\s*(\d*)\s*-\s*(\d*)\s*$/;

/**
 * One `bytes=` range of a file of `size` bytes. Anything this server does not serve as a range — another unit,
 * several ranges, a malformed header — gets the whole file, as HTTP allows a server to ignore `Range`; a
 * well-formed range that starts past the end is unsatisfiable (416).
 */
export function parseRange(header: string | undefined, size: number): RangeOutcome {
  if (header === undefined) return { kind: 'full' };
  const match = /^\s*bytes\s*=(.*)$/i.exec(header);
  if (!match || match[1]!.includes(',')) return { kind: 'full' };
  const parts = spec.exec(match[1]!);
  if (!parts) return { kind: 'full' };
  const [, first, last] = parts as unknown as [string, string, string];
  if (first === '' && last === '') return { kind: 'full' };
  if (first.length > 15 || last.length > 15) return { kind: 'full' }; // beyond any file we could hold
  if (first === '') {
    // A suffix: the last N bytes.
    const length = Number(last);
    if (length === 0) return { kind: 'unsatisfiable' };
    if (size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - length), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { kind: 'full' }; // invalid: ignored
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end } };
}

/**
 * Whether an `If-Range` validator still names the file: a strong entity tag equal to ours, or an HTTP date equal
 * to its last modification (second precision). Anything else means the file changed: send all of it.
 */
export function ifRangeMatches(header: string | undefined, etag: string, lastModified: Date): boolean {
  if (header === undefined) return true;
  const value = header.trim();
  if (value.startsWith('W/')) return false; // weak tags never match If-Range
  if (value.startsWith('"')) return value === etag;
  const date = Date.parse(value);
  return Number.isFinite(date) && Math.floor(lastModified.getTime() / 1000) === Math.floor(date / 1000);
}
