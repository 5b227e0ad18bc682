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

/** Pearson h of one factor against load, and whether it passed `|h| >= hMin`. */
export interface FactorReport {
  name: Factor;
  /** Null when the factor is constant over the training rows (correlation undefined). */
  h: number | null;
  kept: boolean;
}

/** Default `h_min` of ALGORITHMS.md 9.2. */
export const DEFAULT_H_MIN = 0.2;

/** Pearson selection on the training rows (ALGORITHMS.md 9.2); every factor is reported. */
export function selectFactors(train: Dataset, hMin: number = DEFAULT_H_MIN): FactorReport[] {
  return FACTORS.map((name, j) => {
    const h = pearson(column(train, j), train.y);
    return { name, h: Number.isNaN(h) ? null : h, kept: !Number.isNaN(h) && Math.abs(h) >= hMin };
  });
}
