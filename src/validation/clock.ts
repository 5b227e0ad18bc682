import { brusselsOffsetMinutes, HolidayCalendar, usEasternOffsetMinutes } from "../common/calendar";

/**
 * The local clock that calendar features are read in. Load follows people's clocks, so hour of day,
 * weekday, holidays and the "same hour yesterday" lags all use local time, while data stays in UTC.
 */
export interface LocalClock {
  name: ZoneName;
  offsetMinutes(epochMs: number): number;
  holidays: HolidayCalendar;
}

export const ZONES = {
  /** GEFCom2014-E is US Eastern prevailing time (see data/load/README.md). */
  "us-eastern": { offsetMinutes: usEasternOffsetMinutes, holidays: "US" },
  brussels: { offsetMinutes: brusselsOffsetMinutes, holidays: "BE" },
  utc: { offsetMinutes: () => 0, holidays: "US" },
} as const satisfies Record<string, Omit<LocalClock, "name">>;

export type ZoneName = keyof typeof ZONES;
export const DEFAULT_ZONE: ZoneName = "us-eastern";
export const ZONE_NAMES = Object.keys(ZONES) as ZoneName[];

export function localClock(name: ZoneName = DEFAULT_ZONE): LocalClock {
  const zone = ZONES[name];
  if (!zone) throw new Error(`unknown zone "${String(name)}" (use one of ${ZONE_NAMES.join(", ")})`);
  return { name, offsetMinutes: zone.offsetMinutes, holidays: zone.holidays };
}

const HOUR_MS = 3_600_000;

/**
 * Parses a CLI date: `YYYY-MM-DD` is local midnight on the clock (for `--*-to` the caller asks for the
 * end of the day), anything else must be an ISO timestamp with a zone.
 */
export function parseLocalDate(text: string, clock: LocalClock, endOfDay = false): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) {
    const utcMidnight = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (endOfDay ? 1 : 0));
    if (!Number.isFinite(utcMidnight)) throw new Error(`invalid date "${text}"`);
    // Two passes settle the offset on DST-change days.
    let t = utcMidnight - clock.offsetMinutes(utcMidnight) * 60_000;
    t = utcMidnight - clock.offsetMinutes(t) * 60_000;
    return endOfDay ? t - 1 : t;
  }
  if (!/(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    throw new Error(`"${text}" is neither YYYY-MM-DD nor an ISO timestamp with a zone`);
  }
  const t = Date.parse(text);
  if (!Number.isFinite(t)) throw new Error(`invalid timestamp "${text}"`);
  return t;
}

/** The instant with the same local clock reading `hours` earlier (DST-aware "same hour yesterday"). */
export function localHoursBefore(epochMs: number, hours: number, clock: LocalClock): number {
  const guess = epochMs - hours * HOUR_MS;
  return guess + (clock.offsetMinutes(epochMs) - clock.offsetMinutes(guess)) * 60_000;
}
