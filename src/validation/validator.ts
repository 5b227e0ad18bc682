import { localClock, type LocalClock } from "./clock";
import { factorRow, N_FACTORS, type MissingFeature } from "./features";
import type { LoadHistory } from "./history";
import { Forecaster, type ForecasterName, type ResidualStats, type ValidatorModel } from "./model";

/** Why a reading was quarantined. The first of `reasons` is the primary `reason`. */
export type ReasonCode =
  /** The timestamp is not a finite epoch-ms number or a parsable ISO string. */
  | "BAD_TIMESTAMP"
  /** The value is NaN or infinite. */
  | "NOT_FINITE"
  /** No lag history (load 24 h / 168 h earlier) for this instant: the reading cannot be checked. */
  | "NO_HISTORY"
  /** The model uses temperature, and neither the reading nor the history has one. */
  | "NO_TEMPERATURE"
  /** Zero or negative load (a dropout). */
  | "ZERO_OR_NEGATIVE"
  /** Off from the forecast by a power of ten (a unit or scaling error). */
  | "UNIT_SCALE"
  /** `|actual - forecast| > k * sd_res` for the validator's one-step forecast (ALGORITHMS.md 9.4). */
  | "RESIDUAL_OVER_K_SIGMA"
  /** `|actual - forecast| > threshold`, when an absolute threshold is set (P000 used 8.28). */
  | "ABS_THRESHOLD"
  /** `|actual - model forecast| > levelK * sd_res`, without the one-step correction: slow faults. */
  | "LEVEL_OVER_K_SIGMA"
  /** The same value for `stuckHours` or longer, or repeated where the load should have moved by `repeatK` sigma. */
  | "STUCK";

export interface Reading {
  /** Epoch milliseconds or an ISO 8601 string with a zone. */
  timestamp: number | string;
  /** In the model's load units (system-load space: divide a terminal's reading by its scale first). */
  value: number;
  /** Optional: the history's temperature is used when absent. */
  temperatureC?: number;
  /** Stream identity (e.g. terminal id) for the stateful checks; one source's readings must come in time order. */
  source?: string;
  /** This sensor's relative measurement noise (standard deviation / value); overrides the validator's default. */
  noise?: number;
}

export interface CheckResult {
  ok: boolean;
  /** The validator's one-step forecast of this reading (NaN when it could not be computed). */
  forecast: number;
  /** `value - forecast`. */
  residual: number;
  /** The model's own forecast (SVR by default), without the one-step correction. */
  modelForecast: number;
  reason?: ReasonCode;
  reasons?: ReasonCode[];
}

export const DEFAULT_K = 3;
export const DEFAULT_LEVEL_K = 4;
export const DEFAULT_STUCK_HOURS = 2;
export const DEFAULT_REPEAT_K = 1;
export const DEFAULT_FORECAST_STEP_SECONDS = 60;

export interface ValidatorOptions {
  /** Which forecaster the checks use (default "svr"). */
  forecaster?: ForecasterName;
  /** `k` of `|actual - forecast| > k * sd_res`. */
  k?: number;
  /** Absolute threshold in load units; replaces `k * sd_res` in that check. */
  threshold?: number;
  /**
   * Use the one-step forecast (model forecast + AR(1) carry-over of the last accepted residual) for
   * the main check (default true). With false, the main check is the plain rule
   * `|actual - model forecast| > k * sd_res`.
   */
  oneStep?: boolean;
  /**
   * Relative measurement noise of the sensors (standard deviation / value, default 0). The model's residual
   * spread comes from the hourly series; a real sensor adds its own noise on top, which the one-step check
   * must allow for when readings are minutes apart, or it flags clean readings.
   */
  noise?: number;
  /** `k` of the plain level check that backs up the one-step check; Infinity disables it. */
  levelK?: number;
  /** Repeats of one value over this many hours are STUCK; Infinity disables it. */
  stuckHours?: number;
  /** A single repeat is STUCK when the one-step forecast moved by more than this many sigma; Infinity disables it. */
  repeatK?: number;
  /**
   * Spacing of the exact model forecasts, in seconds (default 60); readings between two grid instants get the
   * straight line between their forecasts. The model's inputs are smooth or piecewise linear between whole hours,
   * so over a minute the line is within a hair of the exact value (test/unit/validation-models.test.ts), and a
   * 1 Hz stream costs one SVR evaluation a minute instead of one a second. 0 forecasts every instant exactly.
   */
  forecastStepSeconds?: number;
  /**
   * Append each checked reading to the history (the value when accepted, the forecast when
   * quarantined), so later lags see validated data. Only for a single stream whose readings are
   * newer than the history.
   */
  record?: boolean;
}

/** ALGORITHMS.md 9.4 taken literally: the plain model forecast, `k * sd_res`, nothing else. */
export const PLAIN_RULE: ValidatorOptions = {
  oneStep: false,
  levelK: Infinity,
  stuckHours: Infinity,
  repeatK: Infinity,
};

interface SourceState {
  lastValue: number;
  /** Start of the current run of identical values. */
  runStartT: number;
  /** Residual (and time) of the last accepted reading: the one-step reference. */
  refT: number;
  ref: number;
  /** Residual of the last reading, when only the one-step check quarantined it. */
  pendingT: number;
  pending: number;
}

const HOUR_MS = 3_600_000;
/** Instants kept in the forecast cache: a 15-minute period at 1 Hz is 900. */
const FORECAST_CACHE_SIZE = 4096;

interface Forecast {
  f: number;
  missing: MissingFeature | null;
  hourVar: number;
}

/**
 * The streaming validator: built once from a trained `ValidatorModel`, then `check` / `checkBatch`
 * per reading.
 *
 * Main check: the model's residuals are strongly autocorrelated (rho ~0.95 per hour on GEFCom), so
 * the validator forecasts a reading as `f(x) + rho^dt * r`, where `r` is the residual of the
 * source's last accepted reading `dt` hours ago, and flags `|actual - that| > k * sigma(dt, hour)`,
 * with sigma the one-step residual spread measured on validation for that local hour (morning ramps
 * are harder than nights), scaled to the gap. A quarantined reading does not move `r`, so a spike
 * never becomes the reference; but when the next reading agrees with the quarantined one rather than
 * with `r`, the shift is real: that reading is accepted and becomes the reference. A slow fault
 * (drift) moves the residual a little at a time, which the one-step check follows; the plain level
 * check (`levelK * sd_res`) catches it once it is large. Run-length, sign and power-of-ten rules name
 * stuck values, dropouts and unit errors.
 */
export class StreamingValidator {
  readonly forecaster: Forecaster;
  readonly clock: LocalClock;
  readonly which: ForecasterName;
  readonly stats: ResidualStats;
  private readonly k: number;
  private readonly threshold: number | undefined;
  private readonly levelK: number;
  private readonly noise: number;
  private readonly stuckMs: number;
  private readonly repeatK: number;
  private readonly record: boolean;
  private readonly stepMs: number;
  private readonly needed: boolean[];
  private readonly rho: number;
  /** Per local hour: the one-step variance after dt hours is hourVar * (1 - rho^(2 dt)). */
  private readonly hourVar: Float64Array;
  private readonly row = new Float64Array(N_FACTORS);
  private readonly sources = new Map<string, SourceState>();
  /** Forecasts by instant (readings without their own temperature): many sources share each instant. */
  private readonly cache = new Map<number, Forecast>();
  private memoT = NaN;
  private memoTemp = NaN;
  private memo: Forecast = { f: NaN, missing: null, hourVar: NaN };

  constructor(
    readonly model: ValidatorModel,
    readonly history: LoadHistory,
    options: ValidatorOptions = {},
  ) {
    this.forecaster = new Forecaster(model);
    this.clock = localClock(model.zone);
    this.which = options.forecaster ?? "svr";
    const stats = model.residuals[this.which];
    if (!stats) throw new Error(`the model has no ${this.which} forecaster`);
    this.stats = stats;
    this.k = options.k ?? DEFAULT_K;
    this.threshold = options.threshold;
    if (!(this.k > 0)) throw new Error(`k must be > 0 (got ${this.k})`);
    if (this.threshold !== undefined && !(this.threshold > 0)) {
      throw new Error(`threshold must be > 0 (got ${this.threshold})`);
    }
    const oneStep = options.oneStep ?? true;
    this.levelK = options.levelK ?? DEFAULT_LEVEL_K;
    this.noise = options.noise ?? 0;
    if (!(this.noise >= 0)) throw new Error(`noise must be >= 0 (got ${this.noise})`);
    this.stuckMs = (options.stuckHours ?? DEFAULT_STUCK_HOURS) * HOUR_MS;
    this.repeatK = options.repeatK ?? DEFAULT_REPEAT_K;
    this.record = options.record ?? false;
    const step = options.forecastStepSeconds ?? DEFAULT_FORECAST_STEP_SECONDS;
    if (!(step >= 0 && Number.isInteger(step)))
      throw new Error(`forecastStepSeconds must be a whole number >= 0 (got ${step})`);
    this.stepMs = step * 1000;
    this.needed = this.forecaster.needed(this.which);
    this.rho = oneStep ? stats.rho1h : 0;
    this.hourVar = Float64Array.from(stats.sdStepByHour, (s) =>
      oneStep ? s ** 2 / (1 - this.rho ** 2) : stats.sd ** 2,
    );
  }

  /** Forgets all per-source state (the history is kept). */
  reset(): void {
    this.sources.clear();
  }

  /** The model forecast for an instant, or NaN when lags (or temperature) are missing. */
  forecastAt(epochMs: number, temperatureC = NaN): number {
    const row = new Float64Array(N_FACTORS);
    const missing = factorRow(epochMs, temperatureC, this.history, this.clock, row, this.needed);
    return missing ? NaN : this.forecaster.forecast(row, 0, this.which);
  }

  check(reading: Reading): CheckResult {
    const t = typeof reading.timestamp === "number" ? reading.timestamp : Date.parse(reading.timestamp);
    const value = reading.value;
    if (!Number.isFinite(t)) return result(value, NaN, NaN, ["BAD_TIMESTAMP"]);
    const temp = reading.temperatureC ?? NaN;
    const { f, missing, hourVar } = this.forecastFor(t, temp);
    if (!Number.isFinite(value)) return result(value, f, f, ["NOT_FINITE"]);

    const st = this.source(reading.source ?? "", t);
    const repeat = value === st.lastValue;
    if (!repeat) st.runStartT = t;
    st.lastValue = value;
    const reasons: ReasonCode[] = [];
    if (missing) reasons.push(missing);
    if (value <= 0) reasons.push("ZERO_OR_NEGATIVE");
    let stuck = t - st.runStartT >= this.stuckMs;
    let forecast = f;
    if (!missing) {
      const e = value - f;
      const noiseVar = ((reading.noise ?? this.noise) * f) ** 2;
      const carry = st.refT < t ? Math.pow(this.rho, (t - st.refT) / HOUR_MS) : 0;
      forecast = f + carry * st.ref;
      // A repeated value where the load should have moved by more than repeatK sigma is stuck already.
      if (repeat && !stuck) stuck = this.exceeds(value - forecast, hourVar, noiseVar, carry, this.repeatK, false);
      let main = this.exceeds(value - forecast, hourVar, noiseVar, carry, this.k, true);
      const level = Math.abs(e) > this.levelK * Math.sqrt(this.stats.sd ** 2 + noiseVar);
      const others = reasons.length > 0 || level || stuck;
      let confirmed = false;
      if (main && !others && st.pendingT < t) {
        // Does the reading agree with the quarantined one before it? Then the shift is real.
        const carryP = Math.pow(this.rho, (t - st.pendingT) / HOUR_MS);
        confirmed = !this.exceeds(e - carryP * st.pending, hourVar, noiseVar, carryP, this.k, true);
        main = !confirmed;
      }
      if ((main || level) && isPowerOfTenOff(value, f)) reasons.push("UNIT_SCALE");
      if (main) reasons.push(this.threshold === undefined ? "RESIDUAL_OVER_K_SIGMA" : "ABS_THRESHOLD");
      if (level) reasons.push("LEVEL_OVER_K_SIGMA");
      if (!main && !others) {
        st.refT = t;
        st.ref = e;
      }
      st.pending = e;
      st.pendingT = main && !others ? t : -Infinity;
    }
    if (stuck) reasons.push("STUCK");
    if (this.record && Number.isFinite(forecast)) {
      this.history.append(t, reasons.length === 0 ? value : forecast, temp);
      this.cache.clear(); // later lags may now read the appended value
    }
    return result(value, forecast, f, reasons);
  }

  checkBatch(readings: readonly Reading[]): CheckResult[] {
    const out = new Array<CheckResult>(readings.length);
    for (let i = 0; i < readings.length; i++) out[i] = this.check(readings[i]);
    return out;
  }

  /**
   * Whether a one-step residual exceeds `threshold` (when allowed and set) or k sigma for this hour and gap.
   * Measurement noise enters twice: in this reading and, carried, in the reference residual.
   */
  private exceeds(
    residual: number,
    hourVar: number,
    noiseVar: number,
    carry: number,
    k: number,
    absolute: boolean,
  ): boolean {
    if (absolute && this.threshold !== undefined) return Math.abs(residual) > this.threshold;
    return Math.abs(residual) > k * Math.sqrt(hourVar * (1 - carry * carry) + noiseVar * (1 + carry * carry));
  }

  /**
   * The model forecast and one-step variance for an instant. Readings of many sources share instants (every
   * terminal samples on the same clock, one package after another): each is forecast once. Between grid instants
   * (`forecastStepSeconds`) the forecast is interpolated; a reading with its own temperature is forecast exactly.
   */
  private forecastFor(t: number, temp: number): Forecast {
    if (t === this.memoT && Object.is(temp, this.memoTemp)) return this.memo;
    const entry = Number.isNaN(temp)
      ? (this.cache.get(t) ?? this.remember(t, this.gridForecast(t)))
      : this.exactForecast(t, temp);
    this.memoT = t;
    this.memoTemp = temp;
    this.memo = entry;
    return entry;
  }

  /** Between two exact grid forecasts, the line between them; exact on the grid or when either end is missing. */
  private gridForecast(t: number): Forecast {
    const step = this.stepMs;
    const t0 = step > 0 ? Math.floor(t / step) * step : t;
    if (t0 === t) return this.exactForecast(t, NaN);
    const a = this.cachedExact(t0);
    const b = this.cachedExact(t0 + step);
    if (a.missing || b.missing) return this.exactForecast(t, NaN);
    const w = (t - t0) / step;
    return { f: a.f + w * (b.f - a.f), missing: null, hourVar: a.hourVar + w * (b.hourVar - a.hourVar) };
  }

  private cachedExact(t: number): Forecast {
    return this.cache.get(t) ?? this.remember(t, this.exactForecast(t, NaN));
  }

  private remember(t: number, entry: Forecast): Forecast {
    if (this.cache.size >= FORECAST_CACHE_SIZE) this.cache.clear();
    this.cache.set(t, entry);
    return entry;
  }

  private exactForecast(t: number, temp: number): Forecast {
    const missing = factorRow(t, temp, this.history, this.clock, this.row, this.needed);
    return {
      f: missing ? NaN : this.forecaster.forecast(this.row, 0, this.which),
      missing,
      hourVar: missing ? NaN : this.varianceAt(this.row[0], this.row[1]),
    };
  }

  /** The one-step variance of the local hour (from the hour sin/cos factors), interpolated between whole hours. */
  private varianceAt(hourSin: number, hourCos: number): number {
    const hour = ((Math.atan2(hourSin, hourCos) / (2 * Math.PI)) * 24 + 24) % 24;
    const h0 = Math.floor(hour);
    const w = hour - h0;
    return (1 - w) * this.hourVar[h0 % 24] + w * this.hourVar[(h0 + 1) % 24];
  }

  private source(key: string, t: number): SourceState {
    let st = this.sources.get(key);
    if (!st) {
      st = { lastValue: NaN, runStartT: t, refT: t, ref: 0, pendingT: -Infinity, pending: 0 };
      this.sources.set(key, st);
    }
    return st;
  }
}

function result(value: number, forecast: number, modelForecast: number, reasons: ReasonCode[]): CheckResult {
  const r: CheckResult = { ok: reasons.length === 0, forecast, residual: value - forecast, modelForecast };
  if (!r.ok) {
    r.reason = reasons[0];
    r.reasons = reasons;
  }
  return r;
}

/** True when value/forecast is within a factor 10^0.25 of a non-zero power of ten. */
function isPowerOfTenOff(value: number, forecast: number): boolean {
  if (!(value > 0 && forecast > 0)) return false;
  const l = Math.log10(value / forecast);
  const n = Math.round(l);
  return n !== 0 && Math.abs(l - n) < 0.25;
}
