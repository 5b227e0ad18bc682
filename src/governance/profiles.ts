import {
  HolidayCalendar,
  brusselsOffsetMinutes,
  isHoliday,
  localDate,
  usEasternOffsetMinutes,
} from "../common/calendar";
import { CsvError, CsvTable, numberCell, requireColumns, timestampCell } from "../common/csv";

/** Points per daily profile: 15-minute resolution, as P003's 96 transaction frames a day. */
export const POINTS_PER_DAY = 96;
const MINUTES_PER_DAY = 1440;

/** A supported input series, recognised by its value column. */
export interface SeriesKind {
  name: string;
  /** The column holding the value to profile. */
  valueColumn: string;
  unit: string;
  /** Sampling step of the input; 60-minute data is resampled to 96 points. */
  stepMinutes: number;
  /** Holiday calendar for day-type labels. */
  calendar: HolidayCalendar;
  /** The local zone the days are counted in, and its UTC offset at an instant. */
  zone: string;
  offsetMinutes: (epochMs: number) => number;
}

export const SERIES_KINDS: readonly SeriesKind[] = [
  {
    name: "15-minute price (Elia, Belgium)",
    valueColumn: "price_eur_mwh",
    unit: "EUR/MWh",
    stepMinutes: 15,
    calendar: "BE",
    zone: "Europe/Brussels",
    offsetMinutes: brusselsOffsetMinutes,
  },
  {
    name: "hourly load (GEFCom2014-E, US)",
    valueColumn: "load_mw",
    unit: "MW",
    stepMinutes: 60,
    calendar: "US",
    zone: "America/New_York",
    offsetMinutes: usEasternOffsetMinutes,
  },
];

/** Which calendar days a profile covers: local days of the series' zone, or UTC days. */
export type DayBoundary = "local" | "utc";
export const DEFAULT_DAY_BOUNDARY: DayBoundary = "local";

/** Calendar label of a day. A public holiday counts as "holiday" even on a weekend. */
export type DayType = "weekday" | "weekend" | "holiday";
export const DAY_TYPES: readonly DayType[] = ["weekday", "weekend", "holiday"];

export function dayType(date: string, calendar: HolidayCalendar): DayType {
  if (isHoliday(date, calendar)) return "holiday";
  const dow = new Date(`${date}T00:00:00Z`).getUTCDay();
  return dow === 0 || dow === 6 ? "weekend" : "weekday";
}

export interface DailyProfile {
  /** Calendar date (YYYY-MM-DD) of the day in the chosen boundary. */
  date: string;
  dayType: DayType;
  /** 96 values, one per quarter-hour of the day's clock, in the series' unit. */
  values: number[];
}

/** A day left out because some of its clock slots have no reading. */
export interface IncompleteDay {
  date: string;
  /** Slots present out of the day's slots at the input step. */
  present: number;
  expected: number;
  /** Missing clock ranges, e.g. "02:00-02:59". */
  missing: string;
}

/** A day where two readings fell on one clock slot (autumn DST); they were averaged. */
export interface AveragedDay {
  date: string;
  slots: number;
}

export interface ProfileSet {
  file: string;
  kind: SeriesKind;
  days: DayBoundary;
  /** Complete days in date order. */
  profiles: DailyProfile[];
  incomplete: IncompleteDay[];
  averaged: AveragedDay[];
  rows: number;
}

/** Picks the series kind from the header: exactly one known value column must be present. */
export function detectKind(table: CsvTable): SeriesKind {
  const found = SERIES_KINDS.filter((k) => table.header.includes(k.valueColumn));
  if (found.length !== 1) {
    const known = SERIES_KINDS.map((k) => `"${k.valueColumn}" (${k.name})`).join(" or ");
    const why = found.length === 0 ? "has no known value column" : "has more than one known value column";
    throw new CsvError(
      table.file,
      1,
      undefined,
      `${why}: expected timestamp plus ${known}; header is ${table.header.join(",")}`,
    );
  }
  requireColumns(table, ["timestamp", found[0].valueColumn]);
  return found[0];
}

const clock = (minute: number): string =>
  `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;

/** Compresses missing slot indices into clock ranges ("02:00-02:59, 23:00-23:59"). */
function missingRanges(counts: readonly number[], step: number): string {
  const ranges: string[] = [];
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] > 0) continue;
    let j = i;
    while (j + 1 < counts.length && counts[j + 1] === 0) j++;
    ranges.push(`${clock(i * step)}-${clock((j + 1) * step - 1)}`);
    i = j;
  }
  return ranges.join(", ");
}

/**
 * Builds 96-point daily profiles. Each reading goes to the clock slot of its day (local or UTC).
 * Hourly data is resampled by holding each hour's value over its four quarter-hours: the value is
 * the hour's mean, so holding preserves every hourly mean and needs no data from the neighbouring
 * days. Two readings on one slot (the repeated hour of an autumn DST change) are averaged and
 * reported; days with any empty slot (the spring DST change, partial first/last days, gaps) are
 * reported and excluded. A repeated UTC timestamp or an off-grid timestamp is an error.
 */
export function buildProfiles(table: CsvTable, days: DayBoundary = DEFAULT_DAY_BOUNDARY): ProfileSet {
  const kind = detectKind(table);
  const step = kind.stepMinutes;
  const slots = MINUTES_PER_DAY / step;
  const byDate = new Map<string, { sums: number[]; counts: number[] }>();
  const seen = new Map<number, number>();
  for (const row of table.rows) {
    const ms = timestampCell(table, row, "timestamp");
    const value = numberCell(table, row, kind.valueColumn);
    const earlier = seen.get(ms);
    if (earlier !== undefined) throw new CsvError(table.file, row.line, "timestamp", `repeats line ${earlier}`);
    seen.set(ms, row.line);
    const offset = days === "local" ? kind.offsetMinutes(ms) : 0;
    const date = localDate(ms, offset);
    const minute = Math.round((((ms / 60_000 + offset) % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY);
    if (minute % step !== 0) {
      throw new CsvError(table.file, row.line, "timestamp", `not on the ${step}-minute grid of a ${kind.name} series`);
    }
    let day = byDate.get(date);
    if (!day) {
      day = { sums: new Array<number>(slots).fill(0), counts: new Array<number>(slots).fill(0) };
      byDate.set(date, day);
    }
    day.sums[minute / step] += value;
    day.counts[minute / step] += 1;
  }
  const profiles: DailyProfile[] = [];
  const incomplete: IncompleteDay[] = [];
  const averaged: AveragedDay[] = [];
  const repeat = POINTS_PER_DAY / slots;
  for (const date of [...byDate.keys()].sort()) {
    const { sums, counts } = byDate.get(date)!;
    const present = counts.filter((c) => c > 0).length;
    if (present < slots) {
      incomplete.push({ date, present, expected: slots, missing: missingRanges(counts, step) });
      continue;
    }
    const doubled = counts.filter((c) => c > 1).length;
    if (doubled > 0) averaged.push({ date, slots: doubled });
    const values = sums.flatMap((s, i) => new Array<number>(repeat).fill(s / counts[i]));
    profiles.push({ date, dayType: dayType(date, kind.calendar), values });
  }
  return { file: table.file, kind, days, profiles, incomplete, averaged, rows: table.rows.length };
}
