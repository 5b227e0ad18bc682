import { isHoliday, localDate } from "../common/calendar";
import { localHoursBefore, type LocalClock } from "./clock";
import type { LoadHistory } from "./history";

/** The candidate correlation factors of ALGORITHMS.md section 9, in column order. */
export const FACTORS = [
  "hourSin",
  "hourCos",
  "weekdaySin",
  "weekdayCos",
  "holiday",
  "temperature",
  "lag24",
  "lag168",
] as const;
export type Factor = (typeof FACTORS)[number];
export const N_FACTORS = FACTORS.length;

const TEMPERATURE = FACTORS.indexOf("temperature");
const LAG24 = FACTORS.indexOf("lag24");
const LAG168 = FACTORS.indexOf("lag168");
const TWO_PI = 2 * Math.PI;

/** Why a feature row could not be built. */
export type MissingFeature = "NO_HISTORY" | "NO_TEMPERATURE";

const DAY_MS = 86_400_000;
const ALL_NEEDED: readonly boolean[] = FACTORS.map(() => true);

/**
 * Writes all candidate factors of one instant into `out` (length N_FACTORS) and returns null, or
 * returns what was missing. Hour of day is fractional (quarter-hour readings are fine); the lags are
 * the same local clock time 24 h and 168 h earlier, looked up (interpolated) in `history`. A missing
 * `temperatureC` (NaN) falls back to the history's last temperature observed at or before the instant. Factors not `needed` by a model are
 * not looked up (they are written as NaN when they would need a lookup).
 */
export function factorRow(
  epochMs: number,
  temperatureC: number,
  history: LoadHistory,
  clock: LocalClock,
  out: Float64Array,
  needed: readonly boolean[] = ALL_NEEDED,
): MissingFeature | null {
  const offsetMin = clock.offsetMinutes(epochMs);
  const local = epochMs + offsetMin * 60_000;
  const day = Math.floor(local / DAY_MS);
  const hour = (local - day * DAY_MS) / 3_600_000;
  // 1970-01-01 was a Thursday (4).
  const weekday = (day + 4) % 7;
  out[0] = Math.sin((TWO_PI * hour) / 24);
  out[1] = Math.cos((TWO_PI * hour) / 24);
  out[2] = Math.sin((TWO_PI * weekday) / 7);
  out[3] = Math.cos((TWO_PI * weekday) / 7);
  out[4] = holidayFlag(day, epochMs, offsetMin, clock);
  let temp = temperatureC;
  // Only the temperature observed by then: interpolating towards the next hourly sample would look ahead.
  if (!Number.isFinite(temp) && needed[TEMPERATURE]) temp = history.temperatureKnownAt(epochMs);
  out[TEMPERATURE] = temp;
  if (needed[TEMPERATURE] && !Number.isFinite(temp)) return "NO_TEMPERATURE";
  out[LAG24] = needed[LAG24] ? history.valueAt(localHoursBefore(epochMs, 24, clock)) : NaN;
  out[LAG168] = needed[LAG168] ? history.valueAt(localHoursBefore(epochMs, 168, clock)) : NaN;
  if ((needed[LAG24] && !Number.isFinite(out[LAG24])) || (needed[LAG168] && !Number.isFinite(out[LAG168]))) {
    return "NO_HISTORY";
  }
  return null;
}

const holidayMemo = new Map<string, Map<number, number>>();

/** Holiday flag of a local day, memoised per day because date formatting is slow on the hot path. */
function holidayFlag(day: number, epochMs: number, offsetMin: number, clock: LocalClock): number {
  let memo = holidayMemo.get(clock.holidays);
  if (!memo) holidayMemo.set(clock.holidays, (memo = new Map()));
  let flag = memo.get(day);
  if (flag === undefined) {
    flag = isHoliday(localDate(epochMs, offsetMin), clock.holidays) ? 1 : 0;
    memo.set(day, flag);
  }
  return flag;
}
