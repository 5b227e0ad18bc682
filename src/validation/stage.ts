import { LoadHistory } from "./history";
import type { ValidatorModel } from "./model";
import { PeerConsensus, type PeerVerdict } from "./peers";
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
 * Readings must come grouped by instant, instants in time order (`checkInstant`), or through `checkReadings`,
 * which groups a period's readings itself.
 */
export interface StageOptions {
  model: ValidatorModel;
  /** The load file; only its rows before `startMs` seed the history. */
  series: LoadSeries;
  startMs: number;
  validator?: ValidatorOptions;
  /** Null: no peer check (and no shadow). */
  peers: PeerConsensus | null;
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
  }

  /** Swaps in a refitted model (rolling refit) for both validators. */
  replaceModel(model: ValidatorModel): void {
    this.validator.replaceModel(model);
    this.shadow?.replaceModel(model);
  }

  /** Checks the readings of one instant (all with timestamp `t`) and appends their consensus to the history. */
  checkInstant(t: number, readings: readonly StageReading[]): CheckedReading[] {
    if (!(t > this.lastT))
      throw new Error(`validate stage: instant ${new Date(t).toISOString()} is not after the last one`);
    this.lastT = t;
    const verdicts = this.peers?.checkInstant(
      t,
      readings.map((r) => ({ source: r.source, value: r.value, noise: r.noise })),
    );
    const temperatureC = this.weather.temperatureKnownAt(t);
    const out = readings.map((given): CheckedReading => {
      const reading = given.temperatureC === undefined ? { ...given, temperatureC } : given;
      const peer = verdicts?.get(reading.source) ?? null;
      const result = this.validator.check(reading, { peerFlagged: peer !== null && !peer.ok });
      const withoutPeer = this.shadow ? this.shadow.check(reading) : null;
      return { reading, result, peer, withoutPeer };
    });
    const accepted = out.filter((c) => c.result.ok).map((c) => c.reading.value);
    // Nothing accepted: the forecast stands in, as grid:validate records a quarantined reading.
    const f = out.find((c) => Number.isFinite(c.result.modelForecast))?.result.modelForecast ?? NaN;
    this.history.append(t, accepted.length ? median(accepted) : f, temperatureC);
    return out;
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
