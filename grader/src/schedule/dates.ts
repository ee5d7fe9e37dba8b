// Calendar dates as whole days, with no time zone: a review is due on a day.

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 for a valid `YYYY-MM-DD` (a full ISO timestamp's date part is accepted), else undefined. */
export function parseIsoDate(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(value.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return Math.round(ms / DAY_MS);
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
