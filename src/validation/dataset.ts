import type { LocalClock } from "./clock";
import { factorRow, FACTORS, N_FACTORS, type Factor } from "./features";
import type { LoadHistory } from "./history";
import { pearson } from "./stats";
import type { LoadSeries } from "./series";

/** Feature rows (all candidate factors) with their targets, for one time range. */
export interface Dataset {
  /** Row-major, N_FACTORS columns. */
  x: Float64Array;
  y: Float64Array;
  timestamps: Float64Array;
  n: number;
  /** Rows of the range left out because a lag (or the temperature) was unknown. */
  noHistory: number;
}

/**
 * Builds the rows of `series` with `from <= t <= to`, taking lags from `history` (normally the
 * whole file, so a range may start right after another one). Rows whose lags fall outside the data
 * or into a gap longer than the history's interpolation limit are counted in `noHistory`.
 */
export function buildDataset(
  series: LoadSeries,
  history: LoadHistory,
  clock: LocalClock,
  from: number,
  to: number,
): Dataset {
  const idx: number[] = [];
  for (let i = 0; i < series.timestamps.length; i++) {
    if (series.timestamps[i] >= from && series.timestamps[i] <= to) idx.push(i);
  }
  const x = new Float64Array(idx.length * N_FACTORS);
  const y = new Float64Array(idx.length);
  const timestamps = new Float64Array(idx.length);
  const row = new Float64Array(N_FACTORS);
  // A file without temperature still yields rows; its temperature column is NaN and never kept.
  const needed = FACTORS.map((f) => f !== "temperature" || series.temperature !== null);
  let n = 0;
  for (const i of idx) {
    const temp = series.temperature ? series.temperature[i] : NaN;
    if (factorRow(series.timestamps[i], temp, history, clock, row, needed)) continue;
    x.set(row, n * N_FACTORS);
    y[n] = series.load[i];
    timestamps[n] = series.timestamps[i];
    n++;
  }
  return {
    x: x.subarray(0, n * N_FACTORS),
    y: y.subarray(0, n),
    timestamps: timestamps.subarray(0, n),
    n,
    noHistory: idx.length - n,
  };
}

/** Restricts a dataset to the rows with `from <= t <= to`. */
export function sliceDataset(d: Dataset, from: number, to: number): Dataset {
  let a = 0;
  while (a < d.n && d.timestamps[a] < from) a++;
  let b = a;
  while (b < d.n && d.timestamps[b] <= to) b++;
  return {
    x: d.x.subarray(a * N_FACTORS, b * N_FACTORS),
    y: d.y.subarray(a, b),
    timestamps: d.timestamps.subarray(a, b),
    n: b - a,
    noHistory: 0,
  };
}

/** One column of a dataset. */
export function column(d: Dataset, j: number): Float64Array {
  const out = new Float64Array(d.n);
  for (let i = 0; i < d.n; i++) out[i] = d.x[i * N_FACTORS + j];
  return out;
}

/** How a factor passed (or failed) the screen. */
export type ScreenRule = "calendar" | "pearson" | "degreeDays";

/** One factor's screen result: Pearson h against load always, and the score the screen used. */
export interface FactorReport {
  name: Factor;
  /** Pearson h; null when the factor is constant over the training rows (correlation undefined). */
  h: number | null;
  kept: boolean;
  /** The dependence the screen measured (|h|, or the strongest degree-day |h| for temperature); absent in old models. */
  score?: number | null;
  /** Which rule decided. */
  rule?: ScreenRule;
}

/** Default `h_min` of ALGORITHMS.md 9.2. */
export const DEFAULT_H_MIN = 0.2;

/**
 * "nonlinear" (default): calendar factors are always kept (the weekly and holiday shape is real even where its
 * linear correlation with load is near 0), temperature is judged by its strongest heating/cooling degree term
 * (load depends on temperature through a U shape that Pearson's h misses on a mild year), lags by |h|.
 * "pearson": P003's literal screen, |h| >= h_min for every factor.
 */
export const FACTOR_SCREENS = ["nonlinear", "pearson"] as const;
export type FactorScreen = (typeof FACTOR_SCREENS)[number];
export const DEFAULT_FACTOR_SCREEN: FactorScreen = "nonlinear";

/** Balance point of the degree terms (65 degrees F, the US utilities' convention). */
export const DEGREE_DAY_BASE_C = 18.3;

const CALENDAR: ReadonlySet<Factor> = new Set(["hourSin", "hourCos", "weekdaySin", "weekdayCos", "holiday"]);

const finiteOrNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

/** Factor screen on the training rows (ALGORITHMS.md 9.2, or its non-linear default); every factor is reported. */
export function selectFactors(
  train: Dataset,
  hMin: number = DEFAULT_H_MIN,
  screen: FactorScreen = DEFAULT_FACTOR_SCREEN,
): FactorReport[] {
  return FACTORS.map((name, j) => {
    const col = column(train, j);
    const h = finiteOrNull(pearson(col, train.y));
    if (screen === "pearson") {
      return {
        name,
        h,
        kept: h !== null && Math.abs(h) >= hMin,
        score: h === null ? null : Math.abs(h),
        rule: "pearson",
      };
    }
    if (CALENDAR.has(name)) {
      return { name, h, kept: true, score: h === null ? null : Math.abs(h), rule: "calendar" };
    }
    if (name === "temperature") {
      const score = degreeDayDependence(col, train.y);
      return { name, h, kept: score !== null && score >= hMin, score, rule: "degreeDays" };
    }
    return {
      name,
      h,
      kept: h !== null && Math.abs(h) >= hMin,
      score: h === null ? null : Math.abs(h),
      rule: "pearson",
    };
  });
}

/**
 * The strongest |Pearson h| of load against temperature, heating degrees `max(0, base - T)` and cooling degrees
 * `max(0, T - base)`: a U-shaped dependence shows in one of the degree terms even when h(T) is near 0.
 * Null when temperature is unknown or constant.
 */
export function degreeDayDependence(temperature: ArrayLike<number>, load: ArrayLike<number>): number | null {
  const hdd = Float64Array.from(temperature, (t) => Math.max(0, DEGREE_DAY_BASE_C - t));
  const cdd = Float64Array.from(temperature, (t) => Math.max(0, t - DEGREE_DAY_BASE_C));
  const hs = [pearson(temperature, load), pearson(hdd, load), pearson(cdd, load)].filter((x) => !Number.isNaN(x));
  return hs.length === 0 ? null : Math.max(...hs.map(Math.abs));
}
