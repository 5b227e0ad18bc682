/**
 * Public-holiday calendars used for day-type labels and the holiday feature. Dates are calendar
 * dates (YYYY-MM-DD) in the data's local zone; callers convert timestamps first.
 */
export type HolidayCalendar = "US" | "BE";

const pad = (n: number): string => String(n).padStart(2, "0");
const iso = (y: number, m: number, d: number): string => `${y}-${pad(m)}-${pad(d)}`;

/** Day of week (0 = Sunday) of a calendar date. */
function weekday(y: number, m: number, d: number): number {
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** The n-th (1-based) given weekday of a month, or the last one when n = -1. */
function nthWeekday(y: number, m: number, dow: number, n: number): number {
  if (n > 0) {
    const first = weekday(y, m, 1);
    return 1 + ((dow - first + 7) % 7) + (n - 1) * 7;
  }
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return last - ((weekday(y, m, last) - dow + 7) % 7);
}

/** US federal rule: a Saturday holiday is observed on Friday, a Sunday one on Monday. */
function observed(y: number, m: number, d: number): string {
  const t = new Date(Date.UTC(y, m - 1, d));
  const dow = t.getUTCDay();
  if (dow === 6) t.setUTCDate(d - 1);
  if (dow === 0) t.setUTCDate(d + 1);
  return t.toISOString().slice(0, 10);
}

/** US federal holidays (as observed) of a year, per 5 U.S.C. 6103. Juneteenth from 2021. */
export function usFederalHolidays(year: number): string[] {
  const y = year;
  const days = [
    observed(y, 1, 1),
    iso(y, 1, nthWeekday(y, 1, 1, 3)), // Martin Luther King Jr. Day
    iso(y, 2, nthWeekday(y, 2, 1, 3)), // Washington's Birthday
    iso(y, 5, nthWeekday(y, 5, 1, -1)), // Memorial Day
    ...(y >= 2021 ? [observed(y, 6, 19)] : []),
    observed(y, 7, 4),
    iso(y, 9, nthWeekday(y, 9, 1, 1)), // Labor Day
    iso(y, 10, nthWeekday(y, 10, 1, 2)), // Columbus Day
    observed(y, 11, 11),
    iso(y, 11, nthWeekday(y, 11, 4, 4)), // Thanksgiving
    observed(y, 12, 25),
  ];
  return days.sort();
}

/** Easter Sunday (Gregorian, anonymous algorithm). */
function easter(y: number): [number, number] {
  const a = y % 19;
  const b = Math.floor(y / 100);
  const c = y % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return [month, day];
}

function plusDays(y: number, m: number, d: number, n: number): string {
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** Belgian public holidays of a year (the ten legal ones). */
export function belgianHolidays(year: number): string[] {
  const y = year;
  const [em, ed] = easter(y);
  return [
    iso(y, 1, 1),
    plusDays(y, em, ed, 1), // Easter Monday
    iso(y, 5, 1),
    plusDays(y, em, ed, 39), // Ascension
    plusDays(y, em, ed, 50), // Whit Monday
    iso(y, 7, 21),
    iso(y, 8, 15),
    iso(y, 11, 1),
    iso(y, 11, 11),
    iso(y, 12, 25),
  ].sort();
}

const cache = new Map<string, Set<string>>();

/** True when the calendar date (YYYY-MM-DD) is a public holiday in the given calendar. */
export function isHoliday(date: string, calendar: HolidayCalendar = "US"): boolean {
  const year = Number(date.slice(0, 4));
  const key = `${calendar}:${year}`;
  let set = cache.get(key);
  if (!set) {
    set = new Set(calendar === "US" ? usFederalHolidays(year) : belgianHolidays(year));
    cache.set(key, set);
  }
  return set.has(date);
}

/** The local calendar date (YYYY-MM-DD) of an instant at a fixed UTC offset in minutes. */
export function localDate(epochMs: number, offsetMinutes: number): string {
  return new Date(epochMs + offsetMinutes * 60_000).toISOString().slice(0, 10);
}

/** UTC offset in minutes of US Eastern time (America/New_York) at an instant. */
export function usEasternOffsetMinutes(epochMs: number): number {
  const y = new Date(epochMs).getUTCFullYear();
  // DST: second Sunday of March 02:00 EST (07:00Z) to first Sunday of November 02:00 EDT (06:00Z).
  const start = Date.UTC(y, 2, nthWeekday(y, 3, 0, 2), 7);
  const end = Date.UTC(y, 10, nthWeekday(y, 11, 0, 1), 6);
  return epochMs >= start && epochMs < end ? -240 : -300;
}

/** UTC offset in minutes of Europe/Brussels at an instant (EU rule: last Sundays of March/October, 01:00Z). */
export function brusselsOffsetMinutes(epochMs: number): number {
  const y = new Date(epochMs).getUTCFullYear();
  const start = Date.UTC(y, 2, nthWeekday(y, 3, 0, -1), 1);
  const end = Date.UTC(y, 9, nthWeekday(y, 10, 0, -1), 1);
  return epochMs >= start && epochMs < end ? 120 : 60;
}
