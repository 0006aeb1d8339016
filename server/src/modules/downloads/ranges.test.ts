import { describe, expect, it } from 'vitest';
import { ifRangeMatches, parseRange } from './ranges.js';

describe('parseRange', () => {
  it('serves one byte range; ignores what it does not serve; 416 only for a start past the end', () => {
    const size = 1000;
    expect(parseRange(undefined, size)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-499', size)).toEqual({ kind: 'partial', range: { start: 0, end: 499 } });
    expect(parseRange('bytes=500-', size)).toEqual({ kind: 'partial', range: { start: 500, end: 999 } });
    expect(parseRange('bytes=-100', size)).toEqual({ kind: 'partial', range: { start: 900, end: 999 } });
    expect(parseRange('bytes=-5000', size)).toEqual({ kind: 'partial', range: { start: 0, end: 999 } });
    expect(parseRange('bytes=990-5000', size)).toEqual({ kind: 'partial', range: { start: 990, end: 999 } });
    expect(parseRange(' bytes = 10 - 20 ', size)).toEqual({ kind: 'partial', range: { start: 10, end: 20 } });
    expect(parseRange('bytes=1000-', size)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', size)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    for (const ignored of ['bytes=20-10', 'bytes=0-1,5-6', 'bytes=-', 'bytes=x-1', 'lines=0-1', 'bytes 0-1', 'bytes=99999999999999999-']) {
      expect(parseRange(ignored, size), ignored).toEqual({ kind: 'full' });
    }
  });
});

describe('ifRangeMatches', () => {
  const etag = '"3e8-abc-12"';
  const modified = new Date('2026-01-02T03:04:05.678Z');
  it('matches our strong tag or our date, never a weak tag or another validator', () => {
    expect(ifRangeMatches(undefined, etag, modified)).toBe(true);
    expect(ifRangeMatches(etag, etag, modified)).toBe(true);
    expect(ifRangeMatches(`W/${etag}`, etag, modified)).toBe(false);
    expect(ifRangeMatches('"other"', etag, modified)).toBe(false);
    expect(ifRangeMatches(modified.toUTCString(), etag, modified)).toBe(true);
    expect(ifRangeMatches(new Date('2026-01-02T03:04:06Z').toUTCString(), etag, modified)).toBe(false);
    expect(ifRangeMatches('not a date', etag, modified)).toBe(false);
  });
});
