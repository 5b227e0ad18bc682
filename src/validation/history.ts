import type { LoadSeries } from "./series";

/** Longest stretch between two known samples that a lookup interpolates across (covers the DST gap). */
export const DEFAULT_MAX_INTERPOLATION_MS = 3 * 3_600_000;

/**
 * Past load (and temperature) for lag features. Lookups interpolate linearly between the two
 * surrounding samples, so quarter-hour timestamps and short gaps work; a lookup outside the data or
 * across a longer gap returns NaN, which callers report as missing history.
 */
export class LoadHistory {
  private t: Float64Array;
  private v: Float64Array;
  private temp: Float64Array;
  private n: number;

  constructor(
    timestamps: ArrayLike<number>,
    values: ArrayLike<number>,
    temperature: ArrayLike<number> | null = null,
    readonly maxInterpolationMs: number = DEFAULT_MAX_INTERPOLATION_MS,
  ) {
    if (timestamps.length !== values.length) throw new Error("history: timestamps and values differ in length");
    this.n = timestamps.length;
    const cap = Math.max(16, this.n * 2);
    this.t = new Float64Array(cap);
    this.v = new Float64Array(cap);
    this.temp = new Float64Array(cap).fill(NaN);
    for (let i = 0; i < this.n; i++) {
      if (i > 0 && !(timestamps[i] > timestamps[i - 1])) {
        throw new Error(`history: timestamps must increase (index ${i})`);
      }
      this.t[i] = timestamps[i];
      this.v[i] = values[i];
      if (temperature) this.temp[i] = temperature[i];
    }
  }

  static fromSeries(series: LoadSeries, maxInterpolationMs = DEFAULT_MAX_INTERPOLATION_MS): LoadHistory {
    return new LoadHistory(series.timestamps, series.load, series.temperature, maxInterpolationMs);
  }

  get length(): number {
    return this.n;
  }

  get end(): number {
    return this.n > 0 ? this.t[this.n - 1] : -Infinity;
  }

  /** Appends a sample after the last one; returns false (and stores nothing) when it is not later. */
  append(epochMs: number, value: number, temperatureC = NaN): boolean {
    if (!(epochMs > this.end) || !Number.isFinite(value)) return false;
    if (this.n === this.t.length) this.grow();
    this.t[this.n] = epochMs;
    this.v[this.n] = value;
    this.temp[this.n] = temperatureC;
    this.n++;
    return true;
  }

  /** Load at an instant (interpolated), or NaN when unknown. */
  valueAt(epochMs: number): number {
    return this.lookup(this.v, epochMs);
  }

  /** Temperature at an instant (interpolated), or NaN when unknown. */
  temperatureAt(epochMs: number): number {
    return this.lookup(this.temp, epochMs);
  }

  /**
   * The last temperature observed at or before an instant (no interpolation towards the next sample, which
   * would be a look-ahead of up to one step), or NaN when the last sample is older than the interpolation limit.
   */
  temperatureKnownAt(epochMs: number): number {
    const i = this.indexAtOrBefore(epochMs);
    if (i < 0 || epochMs - this.t[i] > this.maxInterpolationMs) return NaN;
    return this.temp[i];
  }

  /** Drops the samples before `t` (a resumed stage keeps only what later lags and refits can read). */
  dropBefore(t: number): void {
    let i = 0;
    while (i < this.n && this.t[i] < t) i++;
    if (i === 0) return;
    this.t.copyWithin(0, i, this.n);
    this.v.copyWithin(0, i, this.n);
    this.temp.copyWithin(0, i, this.n);
    this.n -= i;
  }

  /** Samples with `from <= t <= to`, as plain arrays (for refits on the validated history). */
  slice(from: number, to: number): { timestamps: number[]; load: number[]; temperature: number[] } {
    const out = { timestamps: [] as number[], load: [] as number[], temperature: [] as number[] };
    for (let i = Math.max(0, this.indexAtOrBefore(from)); i < this.n && this.t[i] <= to; i++) {
      if (this.t[i] < from) continue;
      out.timestamps.push(this.t[i]);
      out.load.push(this.v[i]);
      out.temperature.push(this.temp[i]);
    }
    return out;
  }

  /** Index of the last sample at or before `ms`, or -1. */
  private indexAtOrBefore(ms: number): number {
    let lo = 0;
    let hi = this.n - 1;
    if (hi < 0 || ms < this.t[0]) return -1;
    if (ms >= this.t[hi]) return hi;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (this.t[mid] <= ms) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  private lookup(arr: Float64Array, ms: number): number {
    const t = this.t;
    let lo = 0;
    let hi = this.n - 1;
    if (hi < 0 || ms < t[0] || ms > t[hi]) return NaN;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (t[mid] <= ms) lo = mid;
      else hi = mid;
    }
    if (t[lo] === ms) return arr[lo];
    if (t[hi] === ms) return arr[hi];
    const span = t[hi] - t[lo];
    if (span > this.maxInterpolationMs) return NaN;
    const w = (ms - t[lo]) / span;
    return arr[lo] + w * (arr[hi] - arr[lo]);
  }

  private grow(): void {
    const cap = this.t.length * 2;
    const t = new Float64Array(cap);
    const v = new Float64Array(cap);
    const temp = new Float64Array(cap).fill(NaN);
    t.set(this.t);
    v.set(this.v);
    temp.set(this.temp);
    [this.t, this.v, this.temp] = [t, v, temp];
  }
}
