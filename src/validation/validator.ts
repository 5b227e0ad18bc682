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
  /** The residual moved by more than `driftK` sigma over several hours (3 h, 6 h by default): a slow fault. */
  | "DRIFT"
  /** `|actual - model forecast| > levelK * sd` without the one-step correction. */
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
export const DEFAULT_DRIFT_K = 4;
export const DEFAULT_STUCK_HOURS = 2;
export const DEFAULT_REPEAT_K = 1;

export interface ValidatorOptions {
  /** Which forecaster the checks use (default "svr"). */
  forecaster?: ForecasterName;
  /** `k` of `|actual - forecast| > k * sd_res`. */
  k?: number;
  /** Absolute threshold in load units; replaces `k * sd_res` in that check. */
  threshold?: number;
  /**
   * Use the one-step forecast (model forecast + AR(1) carry-over of the last residual) for the main
   * check (default true). With false the main check is the plain `|actual - model forecast| > k sd`.
   */
  oneStep?: boolean;
  /** `k` of the plain level check that backs up the one-step check; Infinity disables it. */
  levelK?: number;
  /** `k` of the multi-hour (drift) checks; Infinity disables them. */
  driftK?: number;
  /** Repeats of one value over this many hours are STUCK; Infinity disables it. */
  stuckHours?: number;
  /** A single repeat is STUCK when the one-step forecast moved by more than this many sigma. */
  repeatK?: number;
  /**
   * Append each checked reading to the history (the value when accepted, the forecast when
   * quarantined), so later lags see validated data. Only for a single stream whose readings are
   * newer than the history.
   */
  record?: boolean;
}

interface SourceState {
  lastValue: number;
  /** Start of the current run of identical values. */
  runStartT: number;
  /** Times and residuals of recently accepted readings, oldest first (the last is the one-step reference). */
  acceptedT: number[];
  accepted: number[];
  /** Residual of the last reading, when only the one-step check quarantined it. */
  pendingT: number;
  pending: number;
}

const HOUR_MS = 3_600_000;

/**
 * The streaming validator: built once from a trained `ValidatorModel`, then `check` / `checkBatch`
 * per reading.
 *
 * Main check: the model's residuals are strongly autocorrelated (rho ~0.95 per hour on GEFCom), so
 * the validator forecasts a reading as `f(x) + rho^dt * r`, where `r` is the residual of the
 * source's last accepted reading `dt` hours ago, and flags `|actual - that| > k * sigma(dt, hour)`,
 * with sigma the one-step residual spread measured on validation for that local hour (morning ramps
 * are harder than nights) and that gap. A quarantined reading does not move `r`, so a spike never
 * becomes the reference; but when the next reading agrees with the quarantined one rather than with
 * `r`, the shift is real: that reading is accepted and becomes the reference. A slow fault (drift)
 * moves the residual a little every hour, which the one-step check follows; the drift check compares
 * the reading with the accepted residuals 3 h and 6 h before instead. A plain level check
 * (`levelK * sd`) backs both up, and run-length, sign and power-of-ten rules name stuck values,
 * dropouts and unit errors.
 */
export class StreamingValidator {
  readonly forecaster: Forecaster;
  readonly clock: LocalClock;
  readonly which: ForecasterName;
  readonly stats: ResidualStats;
  private readonly k: number;
  private readonly threshold: number | undefined;
  private readonly oneStep: boolean;
  private readonly levelBound: number;
  private readonly stuckMs: number;
  private readonly repeatK: number;
  private readonly record: boolean;
  private readonly needed: boolean[];
  private readonly driftK: number;
  private readonly rho: number;
  /** Per horizon and local hour: sigma^2 over `dt` hours = var * (1 - rho^(2 dt)) / (1 - rho^(2 H)). */
  private readonly horizonVar: { hours: number; byHour: Float64Array; norm: number }[];
  /** Accepted residuals older than this are no longer needed as references. */
  private readonly keepMs: number;
  private readonly row = new Float64Array(N_FACTORS);
  private readonly sources = new Map<string, SourceState>();
  private memoT = NaN;
  private memoTemp = NaN;
  private memoF = NaN;
  private memoMissing: MissingFeature | null = null;

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
    this.oneStep = options.oneStep ?? true;
    this.levelBound = (options.levelK ?? DEFAULT_LEVEL_K) * stats.sd;
    this.stuckMs = (options.stuckHours ?? DEFAULT_STUCK_HOURS) * HOUR_MS;
    this.repeatK = options.repeatK ?? DEFAULT_REPEAT_K;
    this.record = options.record ?? false;
    this.needed = this.forecaster.needed(this.which);
    this.driftK = options.driftK ?? DEFAULT_DRIFT_K;
    this.rho = this.oneStep ? stats.rho1h : 0;
    const horizons = this.oneStep
      ? stats.horizons
      : [{ hours: 1, sd: stats.sd, sdByHour: new Array(24).fill(stats.sd) }];
    this.horizonVar = horizons.map((h) => ({
      hours: h.hours,
      byHour: Float64Array.from(h.sdByHour, (x) => x * x),
      norm: 1 - this.rho ** (2 * h.hours) || 1,
    }));
    this.keepMs = 2 * Math.max(...horizons.map((h) => h.hours)) * HOUR_MS;
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
    // Readings of many sources share a timestamp (one per terminal per period): forecast once.
    if (t !== this.memoT || !Object.is(temp, this.memoTemp)) {
      this.memoMissing = factorRow(t, temp, this.history, this.clock, this.row, this.needed);
      this.memoF = this.memoMissing ? NaN : this.forecaster.forecast(this.row, 0, this.which);
      this.memoT = t;
      this.memoTemp = temp;
    }
    const missing = this.memoMissing;
    const f = this.memoF;
    if (!Number.isFinite(value)) return result(value, f, f, ["NOT_FINITE"]);

    const st = this.source(reading.source ?? "", t);
    if (value !== st.lastValue) st.runStartT = t;
    st.lastValue = value;
    const reasons: ReasonCode[] = [];
    if (missing) reasons.push(missing);
    if (value <= 0) reasons.push("ZERO_OR_NEGATIVE");
    const repeat = t > st.runStartT;
    let stuck = t - st.runStartT >= this.stuckMs;
    let forecast = f;
    if (!missing) {
      const e = value - f;
      const hour = localHourOf(this.row[0], this.row[1]);
      const n = st.accepted.length;
      const refT = n > 0 ? st.acceptedT[n - 1] : t;
      const carry = refT < t ? Math.pow(this.rho, (t - refT) / HOUR_MS) : 0;
      forecast = f + (n > 0 ? carry * st.accepted[n - 1] : 0);
      // A repeated value where the load should have moved by more than repeatK sigma is stuck already.
      if (repeat && !stuck) stuck = this.exceeds(0, value - forecast, hour, carry, this.repeatK, false);
      let main = this.exceeds(0, value - forecast, hour, carry, this.k);
      const driftRef = this.driftK < Infinity ? this.driftReference(st, t, e, hour) : -1;
      const drift = driftRef >= 0;
      if (drift) {
        // The readings accepted since that reference carried the drift's onset: stop trusting them.
        st.acceptedT.length = driftRef + 1;
        st.accepted.length = driftRef + 1;
      }
      const level = Math.abs(e) > this.levelBound;
      const others = reasons.length > 0 || drift || level || stuck;
      let confirmed = false;
      if (main && !others && st.pendingT < t) {
        // Does the reading agree with the quarantined one before it? Then the shift is real.
        const carryP = Math.pow(this.rho, (t - st.pendingT) / HOUR_MS);
        confirmed = !this.exceeds(0, e - carryP * st.pending, hour, carryP, this.k);
        main = !confirmed;
      }
      if ((main || drift || level) && isPowerOfTenOff(value, f)) reasons.push("UNIT_SCALE");
      if (main) reasons.push(this.threshold === undefined ? "RESIDUAL_OVER_K_SIGMA" : "ABS_THRESHOLD");
      if (drift) reasons.push("DRIFT");
      if (level) reasons.push("LEVEL_OVER_K_SIGMA");
      if (!main && !others) {
        if (confirmed) {
          st.acceptedT.length = 0;
          st.accepted.length = 0;
        }
        st.acceptedT.push(t);
        st.accepted.push(e);
        while (st.acceptedT.length > 1 && t - st.acceptedT[0] > this.keepMs) {
          st.acceptedT.shift();
          st.accepted.shift();
        }
      }
      st.pending = e;
      st.pendingT = main && !others ? t : -Infinity;
    }
    if (stuck) reasons.push("STUCK");
    if (this.record && Number.isFinite(forecast)) {
      this.history.append(t, reasons.length === 0 ? value : forecast, temp);
    }
    return result(value, forecast, f, reasons);
  }

  /**
   * Whether a residual change over `carry = rho^dt` exceeds its bound: `threshold` (main check only)
   * or `k` sigma of horizon `h` for this local hour, rescaled from H hours to dt.
   */
  private exceeds(h: number, change: number, hour: number, carry: number, k: number, absolute = true): boolean {
    if (h === 0 && absolute && this.threshold !== undefined) return Math.abs(change) > this.threshold;
    const hv = this.horizonVar[h];
    const h0 = Math.floor(hour);
    const w = hour - h0;
    const v = (1 - w) * hv.byHour[h0 % 24] + w * hv.byHour[(h0 + 1) % 24];
    const scale = this.rho > 0 ? (1 - carry * carry) / hv.norm : 1;
    return Math.abs(change) > k * Math.sqrt(v * scale);
  }

  /**
   * Drift check: against the newest accepted residual at least H hours old, for each longer horizon.
   * Returns the index of the reference that the residual drifted away from, or -1.
   */
  private driftReference(st: SourceState, t: number, e: number, hour: number): number {
    for (let h = 1; h < this.horizonVar.length; h++) {
      const cutoff = t - this.horizonVar[h].hours * HOUR_MS;
      for (let i = st.acceptedT.length - 1; i >= 0; i--) {
        if (st.acceptedT[i] > cutoff) continue;
        const carry = Math.pow(this.rho, (t - st.acceptedT[i]) / HOUR_MS);
        if (this.exceeds(h, e - carry * st.accepted[i], hour, carry, this.driftK)) return i;
        break;
      }
    }
    return -1;
  }

  checkBatch(readings: readonly Reading[]): CheckResult[] {
    const out = new Array<CheckResult>(readings.length);
    for (let i = 0; i < readings.length; i++) out[i] = this.check(readings[i]);
    return out;
  }

  private source(key: string, t: number): SourceState {
    let st = this.sources.get(key);
    if (!st) {
      st = { lastValue: NaN, runStartT: t, acceptedT: [], accepted: [], pendingT: -Infinity, pending: 0 };
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

/** Local hour of day (fractional) from the hour sin/cos factors. */
function localHourOf(hourSin: number, hourCos: number): number {
  return ((Math.atan2(hourSin, hourCos) / (2 * Math.PI)) * 24 + 24) % 24;
}

/** True when value/forecast is within a factor 10^0.25 of a non-zero power of ten. */
function isPowerOfTenOff(value: number, forecast: number): boolean {
  if (!(value > 0 && forecast > 0)) return false;
  const l = Math.log10(value / forecast);
  const n = Math.round(l);
  return n !== 0 && Math.abs(l - n) < 0.25;
}
