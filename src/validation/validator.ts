import { localClock, type LocalClock } from "./clock";
import { factorRow, FACTORS, N_FACTORS } from "./features";
import { InstantForecasts } from "./forecasts";
import type { LoadHistory } from "./history";
import type { Forecaster, ForecasterName, ResidualStats, ValidatorModel } from "./model";

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
  /** `|actual - model forecast| > levelK * s`, s the source's robust running residual spread: slow faults. */
  | "LEVEL_OVER_K_SIGMA"
  /** The one-step innovations summed (two-sided CUSUM) drifted past `cusumH` hourly sigma: a slow drift. */
  | "CUSUM_DRIFT"
  /** The reading has moved away from its neighbouring terminals' readings (PeerConsensus). */
  | "PEER_DEVIATION"
  /**
   * The same value for `stuckHours` or longer, or a run of exact repeats that the sensor's quantisation, noise and
   * the forecast's expected change make less likely than `stuckAlpha`.
   */
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
  /**
   * Quantisation step of `value` (in the same units): the sensor's resolution. When absent, the step of the value's
   * own decimal digits (3400 -> 1, 3400.5 -> 0.1), which is never finer than the true one (a conservative guess).
   */
  resolution?: number;
}

/**
 * The rule that flagged a reading: the statistical detectors ("one-step", "level", "cusum", "peer") or the hard
 * rules ("stuck", "unit" for power-of-ten errors, "sign" for zero or negative load, "input" for readings that
 * cannot be checked at all). A person reading a report sees why a reading was quarantined.
 */
export type FlagRule = "one-step" | "level" | "cusum" | "peer" | "stuck" | "unit" | "sign" | "input";

/** The rule behind each reason code, so a report can say why a reading was quarantined. */
export const RULE_OF_REASON: Readonly<Record<ReasonCode, FlagRule>> = {
  BAD_TIMESTAMP: "input",
  NOT_FINITE: "input",
  NO_HISTORY: "input",
  NO_TEMPERATURE: "input",
  ZERO_OR_NEGATIVE: "sign",
  UNIT_SCALE: "unit",
  RESIDUAL_OVER_K_SIGMA: "one-step",
  ABS_THRESHOLD: "one-step",
  LEVEL_OVER_K_SIGMA: "level",
  CUSUM_DRIFT: "cusum",
  PEER_DEVIATION: "peer",
  STUCK: "stuck",
};

/** Outside verdicts the validator folds into a reading's check (see PeerConsensus). */
export interface CheckContext {
  /** The peer check flagged this reading (it then never becomes a reference and is quarantined). */
  peerFlagged?: boolean;
}

export interface CheckResult {
  ok: boolean;
  /** The first rule that flagged the reading (absent when ok). */
  flaggedBy?: FlagRule;
  /** The validator's one-step forecast of this reading (NaN when it could not be computed). */
  forecast: number;
  /** `value - forecast`. */
  residual: number;
  /** The model's own forecast (SVR by default), without the one-step correction. */
  modelForecast: number;
  reason?: ReasonCode;
  reasons?: ReasonCode[];
}

/**
 * Detector defaults, chosen on the validation half-year (H1 2013, injection seeds 101-105, SVR fitted on 2012,
 * residuals calibrated on 2012-Q4): among the settings whose clean false alarms are within 0.1 a day at 95%
 * confidence, the highest drift recall within budget, then the highest precision (`chooseOperatingPoint`,
 * docs/validation.md "Protocol", bench/results/validation.json).
 */
export const DEFAULT_K = 6;
export const DEFAULT_LEVEL_K = 5;
/** CUSUM allowance, in hourly innovation sigma per hour (drifts slower than this are not accumulated). */
export const DEFAULT_CUSUM_K = 1;
/** CUSUM alarm threshold, in hourly innovation sigma. */
export const DEFAULT_CUSUM_H = 6;
/**
 * After this many hours without an accepted reading, a flagged reading becomes the new reference. Off by
 * default: on the validation half-year re-anchoring after 3 h doubled the false flags (a drift's reset became
 * a run of flags against the drifted reference).
 */
export const DEFAULT_REANCHOR_HOURS = Infinity;
/** Time constant of the running residual spread of the level check (one week). */
export const DEFAULT_SPREAD_HOURS = 168;
/** Widest the one-step band may grow with the source's own recent one-hour errors (x the calibrated sigma). */
export const DEFAULT_INNOVATION_SCALE_MAX = 2;
export const DEFAULT_STUCK_HOURS = 2;
/**
 * A run of exact repeats is STUCK once its probability under the one-step forecast, the sensor's noise and its
 * resolution falls below this. On a clean stream a run that unlikely starts about once in 1/alpha readings, so
 * the rule's false alarms stay near alpha per reading whatever the sampling rate (a 15-minute meter with 1% noise
 * and 1 kW resolution: one repeat has p ~ 6e-4, two in a row ~ 3e-7; an hourly GEFCom series at 1 MW: ~ 9e-3
 * and ~ 8e-5), while a frozen sensor is caught on its second repeat at the latest.
 */
export const DEFAULT_STUCK_ALPHA = 1e-4;
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
  /** `k` of the level check against the source's robust running spread; Infinity disables it. */
  levelK?: number;
  /** CUSUM allowance (hourly sigma per hour); Infinity disables the CUSUM. */
  cusumK?: number;
  /** CUSUM alarm threshold (hourly sigma); Infinity disables the CUSUM. */
  cusumH?: number;
  /**
   * Hours without an accepted reading after which a flagged reading becomes the reference anyway (it stays
   * flagged): bounds the run of flags a real shift of the model's own error can cause. Infinity never re-anchors.
   */
  reanchorHours?: number;
  /** Time constant (hours) of the running mean absolute residual behind the level check. */
  spreadHours?: number;
  /**
   * Upper bound of the source's running innovation scale (default 2; 1 turns it off). The one-step sigma is
   * multiplied by the running spread of the source's accepted one-step innovations relative to the calibrated one
   * (time constant `spreadHours`), clamped to [1, innovationScaleMax]: a season whose one-hour errors are larger
   * than the calibration half-year's widens the one-step band instead of flagging the model's own misses. Never
   * below 1 (the calibration is the floor), and the CUSUM keeps the calibrated sigma so a drift's steady excess
   * still adds up at full weight.
   */
  innovationScaleMax?: number;
  /** Repeats of one value over this many hours are STUCK; Infinity disables it. */
  stuckHours?: number;
  /**
   * A run of exact repeats is STUCK when the product of the repeats' probabilities (the mass of one quantisation
   * step at the repeated value under the one-step forecast's normal) falls below this; 0 disables it.
   */
  stuckAlpha?: number;
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
  cusumH: Infinity,
  stuckHours: Infinity,
  stuckAlpha: 0,
};

interface SourceState {
  lastValue: number;
  /** Start of the current run of identical values, and the log-probability of its repeats so far. */
  runStartT: number;
  runLogP: number;
  /** Residual (and time) of the last accepted reading: the one-step reference. */
  refT: number;
  ref: number;
  /** The reference reading's value and the temperature its forecast used (NaN: its own, not rebased). */
  refValue: number;
  refTemp: number;
  /** Two-sided CUSUM of the hourly innovations (in sigma), and the residual and time of its last step. */
  cusumPos: number;
  cusumNeg: number;
  cusumE: number;
  cusumT: number;
  /** Running mean absolute residual (load units) and the time it was last updated. */
  absDev: number;
  absDevT: number;
  /** Running mean absolute normalised one-step innovation of accepted readings (1 sigma = MEAN_ABS_TO_SD). */
  innovAbs: number;
}

const HOUR_MS = 3_600_000;

/**
 * The spread of a one-step residual: the model's hourly innovation (less what the carried reference explains) and
 * the sensor noise of both the reading and its reference.
 */
function oneStepSigma(hourVar: number, noiseVar: number, carry: number): number {
  return Math.sqrt(hourVar * (1 - carry * carry) + noiseVar * (1 + carry * carry));
}
const TEMPERATURE = FACTORS.indexOf("temperature");
/** The CUSUM's step: sensor noise would make a per-reading CUSUM depend on the sampling rate. */
const CUSUM_STEP_MS = HOUR_MS;
/**
 * The streaming validator: built once from a trained `ValidatorModel`, then `check` / `checkBatch`
 * per reading. Rules, in order (docs/validation.md has a worked example):
 *
 * - hard rules: unreadable input, zero or negative load ("sign"), a power-of-ten error ("unit"), a value
 *   repeated for `stuckHours` or in a run of exact repeats less likely than `stuckAlpha` ("stuck");
 * - one-step: the model's residuals are strongly autocorrelated (rho ~0.95 per hour on GEFCom), so a reading is
 *   forecast as `f(x) + rho^dt * r`, `r` the residual of the source's last accepted reading `dt` hours ago, and
 *   flagged when the innovation `u` exceeds `k * sigma(dt, hour)` (one-step spread measured on validation per
 *   local hour, scaled to the gap). A flagged reading never becomes the reference, so a spike cannot move it;
 * - cusum: a drift moves the residual a little at a time, which the one-step check follows. Once per hour of
 *   elapsed time, the residual's innovation since the last step, in sigma, enters a two-sided CUSUM with
 *   allowance `cusumK`; when a sum passes `cusumH` the reading is flagged and the sums restart from it. Stepping
 *   per hour keeps the rule the same for hourly and 1 Hz streams (per reading, sensor noise would accumulate);
 * - level: `|actual - f(x)| > levelK * s`, `s` the source's robust running residual spread (an exponentially
 *   weighted mean absolute residual of accepted readings over `spreadHours`, never below half of sd_res);
 * - peer: the caller's PeerConsensus verdict for this reading (`check(reading, { peerFlagged })`).
 *
 * After `reanchorHours` without an accepted reading, the next reading becomes the reference even when flagged,
 * so a lasting shift of the model's own error costs a bounded run of flags instead of an endless one.
 */
export class StreamingValidator {
  readonly clock: LocalClock;
  readonly which: ForecasterName;
  readonly stats: ResidualStats;
  private readonly k: number;
  private readonly threshold: number | undefined;
  private readonly levelK: number;
  private readonly cusumK: number;
  private readonly cusumH: number;
  private readonly reanchorMs: number;
  private readonly spreadMs: number;
  private readonly scaleMax: number;
  private readonly noise: number;
  private readonly stuckMs: number;
  private readonly logAlpha: number;
  private readonly record: boolean;
  private readonly needed: readonly boolean[];
  private readonly rho: number;
  private readonly sources = new Map<string, SourceState>();
  /** The model forecasts by instant; shared with this validator's twins (`twin`). */
  private readonly forecasts: InstantForecasts;

  /** `shared` is for `twin` only: the forecasts of a validator built with the same model, history and options. */
  constructor(
    readonly model: ValidatorModel,
    readonly history: LoadHistory,
    private readonly options: ValidatorOptions = {},
    shared?: InstantForecasts,
  ) {
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
    this.cusumK = options.cusumK ?? DEFAULT_CUSUM_K;
    this.cusumH = options.cusumH ?? DEFAULT_CUSUM_H;
    this.reanchorMs = (options.reanchorHours ?? DEFAULT_REANCHOR_HOURS) * HOUR_MS;
    this.spreadMs = (options.spreadHours ?? DEFAULT_SPREAD_HOURS) * HOUR_MS;
    this.scaleMax = options.innovationScaleMax ?? DEFAULT_INNOVATION_SCALE_MAX;
    if (!(this.scaleMax >= 1)) throw new Error(`innovationScaleMax must be >= 1 (got ${this.scaleMax})`);
    for (const [name, v] of [
      ["levelK", this.levelK],
      ["cusumK", this.cusumK],
      ["cusumH", this.cusumH],
      ["reanchorHours", this.reanchorMs],
      ["spreadHours", this.spreadMs],
    ] as const) {
      if (!(v > 0)) throw new Error(`${name} must be > 0 (got ${v})`);
    }
    this.noise = options.noise ?? 0;
    if (!(this.noise >= 0)) throw new Error(`noise must be >= 0 (got ${this.noise})`);
    this.stuckMs = (options.stuckHours ?? DEFAULT_STUCK_HOURS) * HOUR_MS;
    const alpha = options.stuckAlpha ?? DEFAULT_STUCK_ALPHA;
    if (!(alpha >= 0 && alpha < 1)) throw new Error(`stuckAlpha must be in [0, 1) (got ${alpha})`);
    this.logAlpha = Math.log(alpha);
    this.record = options.record ?? false;
    const step = options.forecastStepSeconds ?? DEFAULT_FORECAST_STEP_SECONDS;
    if (!(step >= 0 && Number.isInteger(step)))
      throw new Error(`forecastStepSeconds must be a whole number >= 0 (got ${step})`);
    this.rho = oneStep ? stats.rho1h : 0;
    // Per local hour: the one-step variance after dt hours is hourVar * (1 - rho^(2 dt)).
    const hourVar = Float64Array.from(stats.sdStepByHour, (s) =>
      oneStep ? s ** 2 / (1 - this.rho ** 2) : stats.sd ** 2,
    );
    this.forecasts =
      shared ?? new InstantForecasts(model, history, this.clock, this.which, TEMPERATURE, step * 1000, hourVar);
    this.needed = this.forecasts.needed;
  }

  /**
   * A validator with the same model, history and options that shares this one's forecasts: a validate stage checks
   * each reading twice (with and without the peer check), and the model forecast of an instant, most of a check's
   * cost, is the same for both, so it is computed once. Per-source state is the twin's own.
   */
  twin(): StreamingValidator {
    return new StreamingValidator(this.model, this.history, this.options, this.forecasts);
  }

  /** The model in use (a refit swaps it; twins share it). */
  get forecaster(): Forecaster {
    return this.forecasts.forecaster;
  }

  /** Forgets all per-source state (the history is kept). */
  reset(): void {
    this.sources.clear();
  }

  /** The per-source state, for a snapshot of a validate stage (`ValidateStage.snapshot`). */
  exportState(): [string, Record<string, number>][] {
    return [...this.sources].map(([source, st]) => [source, { ...st }]);
  }

  /** Restores `exportState`'s per-source state (replacing the current one). */
  importState(state: readonly [string, Record<string, number>][]): void {
    this.sources.clear();
    for (const [source, st] of state) {
      // Snapshots taken before the innovation scale existed start it at the calibration.
      const saved = st as unknown as SourceState;
      this.sources.set(source, { ...saved, innovAbs: saved.innovAbs ?? MEAN_ABS_TO_SD });
    }
    this.forecasts.clear();
  }

  /** The model forecast for an instant, or NaN when lags (or temperature) are missing. */
  forecastAt(epochMs: number, temperatureC = NaN): number {
    const row = new Float64Array(N_FACTORS);
    const missing = factorRow(epochMs, temperatureC, this.history, this.clock, row, this.needed);
    return missing ? NaN : this.forecaster.forecast(row, 0, this.which);
  }

  check(reading: Reading, context: CheckContext = {}): CheckResult {
    const t = typeof reading.timestamp === "number" ? reading.timestamp : Date.parse(reading.timestamp);
    const value = reading.value;
    if (!Number.isFinite(t)) return result(value, NaN, NaN, ["BAD_TIMESTAMP"], "input");
    const temp = reading.temperatureC ?? NaN;
    const { f, missing, hourVar } = this.forecasts.at(t, temp);
    if (!Number.isFinite(value)) return result(value, f, f, ["NOT_FINITE"], "input");

    const st = this.source(reading.source ?? "", t);
    const repeat = value === st.lastValue;
    if (!repeat) {
      st.runStartT = t;
      st.runLogP = 0;
    }
    st.lastValue = value;
    const flags: [ReasonCode, FlagRule][] = [];
    if (missing) flags.push([missing, "input"]);
    if (value <= 0) flags.push(["ZERO_OR_NEGATIVE", "sign"]);
    let stuck = t - st.runStartT >= this.stuckMs;
    let forecast = f;
    if (!missing) {
      const e = value - f;
      const noiseVar = ((reading.noise ?? this.noise) * f) ** 2;
      // The one-step band follows the source's own recent one-hour errors, never narrower than the calibration.
      const scale = Math.min(this.scaleMax, Math.max(1, st.innovAbs / MEAN_ABS_TO_SD));
      const oneStepVar = hourVar * scale * scale;
      // The temperature this reading's forecast used: its own, else the last one observed.
      const tempNow = !this.needed[TEMPERATURE] ? NaN : Number.isNaN(temp) ? this.history.temperatureKnownAt(t) : temp;
      this.rebase(st, t, tempNow);
      const dtH = st.refT < t ? (t - st.refT) / HOUR_MS : 0;
      const carry = dtH > 0 ? Math.pow(this.rho, dtH) : 0;
      forecast = f + carry * st.ref;
      const u = value - forecast;
      if (repeat && !stuck) {
        // The chance that a live sensor reads exactly the last value again: one quantisation step of the one-step
        // forecast's normal at that value. A run of repeats multiplies them.
        const sd = Math.sqrt(hourVar * (1 - carry * carry) + noiseVar * (1 + carry * carry));
        const q = reading.resolution ?? decimalStep(value);
        st.runLogP += Math.min(0, Math.log(q / sd) - (u / sd) ** 2 / 2 - LOG_SQRT_2PI);
        stuck = st.runLogP < this.logAlpha;
      }
      const spread = Math.sqrt(this.spread(st) ** 2 + noiseVar);
      // A jump back into the model's normal band from a reference that was itself far off (a drift's reset, a
      // fault the checks missed) is a return to normal, not a fault: it becomes the reference.
      const back = Math.abs(e) <= RETURN_K * spread && Math.abs(carry * st.ref) > RETURN_K * spread;
      const oneStep = !back && this.exceeds(u, oneStepVar, noiseVar, carry);
      const level = Math.abs(e) > this.levelK * spread;
      const hard = flags.length > 0 || stuck;
      // The CUSUM steps once per hour of elapsed time, on the hourly innovation of the residual (against its
      // value at the last step), for readings no other rule flagged: the same rule for hourly and 1 Hz streams.
      let cusum = false;
      if (!hard && !oneStep && !level && !context.peerFlagged && Number.isFinite(this.cusumH)) {
        if (t - st.cusumT >= CUSUM_STEP_MS) {
          const c = Math.pow(this.rho, (t - st.cusumT) / HOUR_MS);
          const z = (e - c * st.cusumE) / Math.sqrt(hourVar * (1 - c * c) + noiseVar * (1 + c * c));
          st.cusumPos = Math.max(0, st.cusumPos + z - this.cusumK);
          st.cusumNeg = Math.max(0, st.cusumNeg - z - this.cusumK);
          cusum = Math.max(st.cusumPos, st.cusumNeg) > this.cusumH;
          st.cusumT = t;
          st.cusumE = e;
        }
      }
      if ((oneStep || level) && isPowerOfTenOff(value, f)) flags.push(["UNIT_SCALE", "unit"]);
      if (oneStep) flags.push([this.threshold === undefined ? "RESIDUAL_OVER_K_SIGMA" : "ABS_THRESHOLD", "one-step"]);
      if (cusum) flags.push(["CUSUM_DRIFT", "cusum"]);
      if (level) flags.push(["LEVEL_OVER_K_SIGMA", "level"]);
      if (context.peerFlagged) flags.push(["PEER_DEVIATION", "peer"]);
      const accepted = flags.length === 0 && !stuck;
      if (cusum) {
        st.cusumPos = 0;
        st.cusumNeg = 0;
      }
      if (accepted || (t - st.refT >= this.reanchorMs && flags.every(([, rule]) => STATISTICAL.has(rule)))) {
        st.refT = t;
        st.ref = e;
        st.refValue = value;
        st.refTemp = tempNow;
      }
      if (accepted) {
        this.updateSpread(st, e, t);
        if (dtH > 0) this.updateInnovationScale(st, u / oneStepSigma(hourVar, noiseVar, carry), dtH, scale);
      }
    }
    if (stuck) flags.push(["STUCK", "stuck"]);
    // Hard rules name the fault best: they lead the reasons.
    flags.sort((a, b) => Number(STATISTICAL.has(a[1])) - Number(STATISTICAL.has(b[1])));
    if (this.record && Number.isFinite(forecast)) {
      this.history.append(t, flags.length === 0 ? value : forecast, temp);
      this.forecasts.clear(); // later lags may now read the appended value
    }
    return result(
      value,
      forecast,
      f,
      flags.map(([r]) => r),
      flags[0]?.[1],
    );
  }

  /**
   * Swaps in a refitted model (same factors and residual calibration, new fit): the rolling refit of
   * `refit.ts`. Per-source state and history are kept; cached forecasts are dropped.
   */
  replaceModel(model: ValidatorModel): void {
    this.forecasts.replace(model, this.model.residuals);
  }

  /**
   * The model forecast steps when a new hourly temperature arrives (the reading's own, or the last one observed).
   * For a reference less than an hour old, the reference residual is then recomputed with the temperature of this
   * reading, so the step is not mistaken for a jump of the reading (at minute or 1 Hz cadence the one-step sigma is
   * far below such a step).
   */
  private rebase(st: SourceState, t: number, known: number): void {
    // An hour or more apart, the residuals' calibration already holds the hourly temperature step.
    if (!this.needed[TEMPERATURE] || Number.isNaN(st.refTemp) || t - st.refT >= HOUR_MS) return;
    if (known === st.refTemp || !Number.isFinite(known)) return;
    // Every source of an instant has the same reference time and temperature: one SVR evaluation for all.
    const f = this.forecasts.exact(st.refT, known).f;
    if (Number.isFinite(f)) st.ref = st.refValue - f;
    st.refTemp = known;
  }

  /** The source's robust running residual spread (sd units), never below half of sd_res. */
  private spread(st: SourceState): number {
    return Math.max(st.absDev / MEAN_ABS_TO_SD, 0.5 * this.stats.sd);
  }

  private updateSpread(st: SourceState, e: number, t: number): void {
    const w = 1 - Math.exp(-(t - st.absDevT) / this.spreadMs);
    // Clipped so one large accepted residual cannot inflate the spread (robustness to what slipped through).
    const dev = Math.min(Math.abs(e), 3 * this.spread(st) * MEAN_ABS_TO_SD);
    st.absDev += w * (dev - st.absDev);
    st.absDevT = t;
  }

  /**
   * Running mean absolute one-step innovation of accepted readings, in calibrated sigma (`z`), weighted by the
   * elapsed time so hourly and minute streams average over the same span. Clipped at 3 of the current scale, so a
   * fault that slipped through cannot widen the band by much.
   */
  private updateInnovationScale(st: SourceState, z: number, dtH: number, scale: number): void {
    const w = 1 - Math.exp(-(dtH * HOUR_MS) / this.spreadMs);
    st.innovAbs += w * (Math.min(Math.abs(z), 3 * scale) - st.innovAbs);
  }

  checkBatch(readings: readonly Reading[]): CheckResult[] {
    const out = new Array<CheckResult>(readings.length);
    for (let i = 0; i < readings.length; i++) out[i] = this.check(readings[i]);
    return out;
  }

  /**
   * Whether a one-step residual exceeds `threshold` (when set) or k sigma for this hour and gap.
   * Measurement noise enters twice: in this reading and, carried, in the reference residual.
   */
  private exceeds(residual: number, hourVar: number, noiseVar: number, carry: number): boolean {
    if (this.threshold !== undefined) return Math.abs(residual) > this.threshold;
    return Math.abs(residual) > this.k * oneStepSigma(hourVar, noiseVar, carry);
  }

  private source(key: string, t: number): SourceState {
    let st = this.sources.get(key);
    if (!st) {
      st = {
        lastValue: NaN,
        runStartT: t,
        runLogP: 0,
        refT: t,
        ref: 0,
        refValue: NaN,
        refTemp: NaN,
        cusumPos: 0,
        cusumNeg: 0,
        cusumE: 0,
        cusumT: t,
        absDev: this.stats.sd * MEAN_ABS_TO_SD,
        absDevT: t,
        innovAbs: MEAN_ABS_TO_SD,
      };
      this.sources.set(key, st);
    }
    return st;
  }
}

/** A reading within this many running spreads of the model forecast can end a shifted reference. */
const RETURN_K = 2;
/** E|x| / sd of a normal variable. */
const MEAN_ABS_TO_SD = Math.sqrt(2 / Math.PI);
const STATISTICAL: ReadonlySet<FlagRule> = new Set(["one-step", "level", "cusum", "peer"]);

function result(
  value: number,
  forecast: number,
  modelForecast: number,
  reasons: ReasonCode[],
  flaggedBy?: FlagRule,
): CheckResult {
  const r: CheckResult = { ok: reasons.length === 0, forecast, residual: value - forecast, modelForecast };
  if (!r.ok) {
    r.flaggedBy = flaggedBy;
    r.reason = reasons[0];
    r.reasons = reasons;
  }
  return r;
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** The step of a number's shortest decimal form: 3400 -> 1, 3400.25 -> 0.01, 1.5e-7 -> 1e-8. */
export function decimalStep(x: number): number {
  // Read off the shortest form without splitting it (the check stage asks this of every reading).
  const text = String(Math.abs(x));
  const e = text.indexOf("e");
  const dot = text.indexOf(".");
  if (e < 0) return dot < 0 ? 1 : 10 ** (dot + 1 - text.length);
  const decimals = (dot < 0 ? 0 : e - dot - 1) - Number(text.slice(e + 1));
  return 10 ** -decimals;
}

/** True when value/forecast is within a factor 10^0.25 of a non-zero power of ten. */
function isPowerOfTenOff(value: number, forecast: number): boolean {
  if (!(value > 0 && forecast > 0)) return false;
  const l = Math.log10(value / forecast);
  const n = Math.round(l);
  return n !== 0 && Math.abs(l - n) < 0.25;
}
