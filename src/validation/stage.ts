import { LoadHistory } from "./history";
import type { ValidatorModel } from "./model";
import { PeerConsensus, type PeerVerdict } from "./peers";
import { RollingRefit, type RefitCost, type RefitOptions } from "./refit";
import type { LoadSeries } from "./series";
import { median } from "./stats";
import { StreamingValidator, type CheckResult, type Reading, type ValidatorOptions } from "./validator";

/**
 * The validate stage of a multi-terminal pipeline or gateway (issue 14), in one object:
 * - lags come from the validated history: the file only up to `startMs`, then, per instant, the median of the
 *   readings accepted at that instant (in load-series terms), so a missed fault poisons later checks as in
 *   real life, and a caught one does not;
 * - the peer check (PeerConsensus over the IEEE case's neighbourhoods) runs on all readings of an instant first,
 *   and its verdict is folded into each reading's StreamingValidator check (`flaggedBy: "peer"`);
 * - a shadow validator without the peer check sees the same readings, so a run can report what the peer check
 *   adds (`CheckedReading.withoutPeer`).
 *
 * Readings come grouped by instant, instants in time order (`checkInstant`), or through `checkReadings`, which
 * groups a period's readings itself. An instant that is not after the last one (a terminal's late or replayed
 * data time) is still checked, against the history as it stands, and adds nothing to it. When the stream
 * resumes more than the history's interpolation limit after its last instant (a gateway that was down), the
 * file's rows in the gap fill it, so later lags are not missing for a week; readings in the gap were never
 * validated.
 */
export interface StageOptions {
  model: ValidatorModel;
  /** The load file; only its rows before `startMs` seed the history. */
  series: LoadSeries;
  startMs: number;
  validator?: ValidatorOptions;
  /** Null: no peer check (and no shadow). */
  peers: PeerConsensus | null;
  /** Rolling refit on the validated history (`refitIfDue`); absent or `everyDays` 0: the model is kept. */
  refit?: RefitOptions;
}

export interface StageReading extends Reading {
  source: string;
  timestamp: number;
}

export interface CheckedReading {
  reading: StageReading;
  result: CheckResult;
  peer: PeerVerdict | null;
  /** The verdict of the same validator without the peer check (null when the stage has no peers). */
  withoutPeer: CheckResult | null;
}

export class ValidateStage {
  readonly history: LoadHistory;
  /** The file's temperatures: observations, not readings to validate (only those known at an instant are read). */
  private readonly weather: LoadHistory;
  readonly validator: StreamingValidator;
  private readonly shadow: StreamingValidator | null;
  private readonly peers: PeerConsensus | null;
  private readonly series: LoadSeries;
  private readonly baseModel: ValidatorModel;
  private readonly refit: RollingRefit | null;
  private lastT = -Infinity;

  constructor(options: StageOptions) {
    const { series, startMs } = options;
    const cut = series.timestamps.findIndex((t) => t >= startMs);
    const n = cut < 0 ? series.timestamps.length : cut;
    this.history = new LoadHistory(
      series.timestamps.slice(0, n),
      series.load.slice(0, n),
      series.temperature ? series.temperature.slice(0, n) : null,
    );
    this.weather = LoadHistory.fromSeries(series);
    this.validator = new StreamingValidator(options.model, this.history, options.validator);
    this.peers = options.peers;
    this.shadow = options.peers ? new StreamingValidator(options.model, this.history, options.validator) : null;
    this.series = series;
    this.baseModel = options.model;
    this.refit = options.refit ? new RollingRefit(options.refit, this.validator.clock, startMs) : null;
  }

  /** Whether readings are also checked by the peer check (and by a shadow validator without it). */
  get hasPeers(): boolean {
    return this.peers !== null;
  }

  /** The last instant checked (-Infinity before the first). */
  get lastInstant(): number {
    return this.lastT;
  }

  /**
   * Refits the model on the validated history's trailing window when a refit is due before instant `t`
   * (weekly by default), and swaps it in for both validators. Returns whether it refitted.
   */
  async refitIfDue(t: number): Promise<boolean> {
    if (!this.refit?.due(t)) return false;
    this.replaceModel(await this.refit.refit(this.baseModel, this.history, t));
    return true;
  }

  /** What the rolling refit has cost so far (zero refits when it is off or none was due yet). */
  refitCost(): RefitCost {
    return this.refit?.cost() ?? { refits: 0, totalMs: 0, meanMs: 0, rowsPerFit: 0 };
  }

  /** Swaps in a refitted model (rolling refit) for both validators. */
  replaceModel(model: ValidatorModel): void {
    this.validator.replaceModel(model);
    this.shadow?.replaceModel(model);
  }

  /** Checks the readings of one instant (all with timestamp `t`) and appends their consensus to the history. */
  checkInstant(t: number, readings: readonly StageReading[]): CheckedReading[] {
    if (!Number.isFinite(t)) throw new Error(`validate stage: instant ${t} is not a finite epoch-ms time`);
    const inOrder = t > this.lastT;
    if (inOrder) {
      this.fillGap(t);
      this.lastT = t;
    }
    const verdicts = this.peers?.checkInstant(
      t,
      readings.map((r) => ({ source: r.source, value: r.value, noise: r.noise })),
    );
    // The temperature observed by then; when a new hourly observation arrives, the validator rebases the one-step
    // reference onto it, so the forecast's step is not taken for a jump of the reading.
    const temperatureC = this.weather.temperatureKnownAt(t);
    const out = readings.map((given): CheckedReading => {
      const reading = given.temperatureC === undefined ? { ...given, temperatureC } : given;
      const peer = verdicts?.get(reading.source) ?? null;
      const result = this.validator.check(reading, { peerFlagged: peer !== null && !peer.ok });
      this.peers?.noteVerdict(reading.source, result.ok);
      const withoutPeer = this.shadow ? this.shadow.check(reading) : null;
      return { reading, result, peer, withoutPeer };
    });
    const accepted = out.filter((c) => c.result.ok).map((c) => c.reading.value);
    // Nothing accepted: the forecast stands in, as grid:validate records a quarantined reading.
    const f = out.find((c) => Number.isFinite(c.result.modelForecast))?.result.modelForecast ?? NaN;
    if (inOrder) this.history.append(t, accepted.length ? median(accepted) : f, temperatureC);
    return out;
  }

  /** Before instant `t`: the file's rows in a gap longer than the history interpolates across (see above). */
  private fillGap(t: number): void {
    const end = this.history.end;
    if (!(t - end > this.history.maxInterpolationMs)) return;
    const { timestamps, load, temperature } = this.series;
    for (let i = lowerBound(timestamps, end + 1); i < timestamps.length && timestamps[i] < t; i++)
      this.history.append(timestamps[i], load[i], temperature ? temperature[i] : NaN);
  }

  /** Groups readings by instant (time order) and checks each instant; results in the readings' order. */
  checkReadings(readings: readonly StageReading[]): CheckedReading[] {
    const order = readings.map((_, i) => i).sort((a, b) => readings[a].timestamp - readings[b].timestamp || a - b);
    const out = new Array<CheckedReading>(readings.length);
    for (let i = 0; i < order.length;) {
      const t = readings[order[i]].timestamp;
      let j = i;
      while (j < order.length && readings[order[j]].timestamp === t) j++;
      const group = order.slice(i, j);
      this.checkInstant(
        t,
        group.map((g) => readings[g]),
      ).forEach((c, g) => (out[group[g]] = c));
      i = j;
    }
    return out;
  }
}

/** Index of the first element `>= x` of an increasing array. */
function lowerBound(xs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
