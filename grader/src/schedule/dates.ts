// Calendar dates as whole days, with no time zone: a review is due on a day.

const DAY_MS = 86_400_000;

// An ISO 8601 date, optionally with a time (`T` or a space, minutes, optional
// seconds and fraction) and a zone (`Z` or an offset): the one form the
// grader reads, for a completion date and for `--now` alike.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

export interface IsoTimestamp {
  /** Days since 1970-01-01 of the date as written (before any offset). */
  day: number;
  /** The instant in ms since 1970 (midnight UTC for a date alone); undefined for a time without a zone. */
  ms: number | undefined;
  /** Whether a time of day was written. */
  hasTime: boolean;
}

/** A valid ISO date or timestamp (a real day, hours 00-23, minutes and seconds 00-59, offset up to 23:59), else undefined. */
export function parseIsoTimestamp(value: string): IsoTimestamp | undefined {
  const m = ISO.exec(value.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dayMs = Date.UTC(y, mo - 1, d);
  const back = new Date(dayMs);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  const day = Math.round(dayMs / DAY_MS);
  if (m[4] === undefined) return { day, ms: dayMs, hasTime: false };
  const [h, min, sec] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (h > 23 || min > 59 || sec > 59) return undefined;
  const fraction = Math.floor(Number(`0.${m[7] ?? 0}`) * 1000);
  const local = dayMs + ((h * 60 + min) * 60 + sec) * 1000 + fraction;
  const zone = m[8];
  if (zone === undefined) return { day, ms: undefined, hasTime: true };
  if (zone.toUpperCase() === "Z") return { day, ms: local, hasTime: true };
  const o = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  const [oh, om] = [Number(o[2]), Number(o[3])];
  if (oh > 23 || om > 59) return undefined;
  return { day, ms: local - (o[1] === "-" ? -1 : 1) * (oh * 60 + om) * 60_000, hasTime: true };
}

/** Days since 1970-01-01 for a valid `YYYY-MM-DD` (an ISO timestamp's date part is accepted, see parseIsoTimestamp), else undefined. */
export function parseIsoDate(value: string): number | undefined {
  return parseIsoTimestamp(value)?.day;
}

export function formatIsoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function dayToDate(day: number): Date {
  return new Date(day * DAY_MS);
}

export function dateToDay(date: Date): number {
  return Math.floor(date.getTime() / DAY_MS);
}
