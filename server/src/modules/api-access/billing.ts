/** Quota periods follow the licence's billing period (its start, not the calendar). */

const dayMs = 86_400_000;

export interface Period { start: Date; end: Date }

/** The day period containing `now`: 24-hour steps from the licence's start. */
export function dayPeriod(anchor: Date, now: Date): Period {
  const steps = Math.floor((now.getTime() - anchor.getTime()) / dayMs);
  const start = new Date(anchor.getTime() + Math.max(0, steps) * dayMs);
  return { start, end: new Date(start.getTime() + dayMs) };
}

/** `anchor` plus `months` calendar months, the day clamped to the month's end (Jan 31 → Feb 28/29). */
export function addMonths(anchor: Date, months: number): Date {
  const year = anchor.getUTCFullYear();
  const month = anchor.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(anchor.getUTCDate(), lastDay), anchor.getUTCHours(), anchor.getUTCMinutes(), anchor.getUTCSeconds(), anchor.getUTCMilliseconds()));
}

/** The monthly period containing `now`, counted in months from the licence's start. */
export function monthPeriod(anchor: Date, now: Date): Period {
  if (now.getTime() < anchor.getTime()) return { start: anchor, end: addMonths(anchor, 1) };
  let months = (now.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + now.getUTCMonth() - anchor.getUTCMonth();
  if (addMonths(anchor, months).getTime() > now.getTime()) months--;
  return { start: addMonths(anchor, months), end: addMonths(anchor, months + 1) };
}
