import { describe, expect, it } from 'vitest';
import { crossedThresholds } from './alerts.js';
import { addMonths, dayPeriod, monthPeriod } from './billing.js';

const at = (iso: string) => new Date(iso);

describe('quota periods follow the licence, not the calendar', () => {
  it('months run from the licence start, the day clamped to short months', () => {
    const anchor = at('2026-01-31T10:00:00Z');
    expect(addMonths(anchor, 1).toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(monthPeriod(anchor, at('2026-02-01T00:00:00Z'))).toEqual({ start: anchor, end: at('2026-02-28T10:00:00Z') });
    expect(monthPeriod(anchor, at('2026-02-28T10:00:00Z')).start.toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(monthPeriod(anchor, at('2026-03-15T00:00:00Z'))).toEqual({ start: at('2026-02-28T10:00:00Z'), end: at('2026-03-31T10:00:00Z') });
    const mid = at('2026-03-15T12:00:00Z');
    expect(monthPeriod(mid, at('2026-04-15T11:59:59Z')).start).toEqual(mid);
    expect(monthPeriod(mid, at('2026-04-15T12:00:00Z')).start).toEqual(at('2026-04-15T12:00:00Z'));
  });

  it('days are 24-hour steps from the licence start', () => {
    const anchor = at('2026-05-01T18:30:00Z');
    expect(dayPeriod(anchor, at('2026-05-02T18:29:59Z'))).toEqual({ start: anchor, end: at('2026-05-02T18:30:00Z') });
    expect(dayPeriod(anchor, at('2026-05-02T18:30:00Z')).start).toEqual(at('2026-05-02T18:30:00Z'));
  });

  it('alerts fire at 80, 90 and 100% of the monthly quota, each when crossed', () => {
    expect(crossedThresholds(7, 8, 10)).toEqual([80]);
    expect(crossedThresholds(8, 9, 10)).toEqual([90]);
    expect(crossedThresholds(9, 10, 10)).toEqual([100]);
    expect(crossedThresholds(0, 10, 10)).toEqual([80, 90, 100]);
    expect(crossedThresholds(10, 10, 10)).toEqual([]);
    expect(crossedThresholds(1, 2, 1000)).toEqual([]);
  });
});
