import { LoadHistory } from "./history";
import { parseModel, type ValidatorModel } from "./model";
import { PeerConsensus, type PeerSnapshot, type PeerVerdict } from "./peers";
import { RollingRefit, type RefitCost, type RefitOptions, type RefitRunner } from "./refit";
import type { LoadSeries } from "./series";
import { median } from "./stats";
import { StreamingValidator, type CheckResult, type Reading, type ValidatorOptions } from "./validator";

/**
 * Single-series rule settings of a stage with a peer check (caller options override them). The validator's defaults
 * are tuned for a stream without peers, where the CUSUM must catch drifts alone (threshold 6, which costs false
 * alarms); with peers the CUSUM only backs the peer check up, so it keeps issue 14's first setting (threshold 10,
 * level 4.5), the one the pipeline's figures (docs/validation.md, "In the pipeline") were measured with.
 */
export const PEER_STAGE_RULES: Readonly<ValidatorOptions> = { levelK: 4.5, cusumK: 1, cusumH: 10 };

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
  /** Where the refits' fits run: in-process by default (the gateway passes a worker thread's runner). */
  refitRunner?: RefitRunner;
}

/** Samples of the validated history, oldest first (temperature NaN where none was known). */
export interface HistorySamples {
  timestamps: number[];
  load: number[];
  temperature: number[];
}

/** A snapshot in two parts (see `ValidateStage.snapshotParts`). */
export interface SnapshotParts {
  /** The state without the history. */
  state: string;
  /** The history's samples after the time asked for, and from `keepFrom` on. */
  history: HistorySamples;
  /** Samples before this time are no longer read: a writer may drop them. */
  keepFrom: number;
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
  private readonly startMs: number;
  private readonly validatorOptions: ValidatorOptions;
  /** The model in use: the base model, or the last refit's. */
  private model: ValidatorModel;
  private modelJson: string | undefined;
  private setupKeyText: string | undefined;
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
    // With peers, drifts are the peer check's job: the single-series rules keep a low false-alarm setting.
    const rules = options.peers ? { ...PEER_STAGE_RULES, ...options.validator } : options.validator;
    this.validator = new StreamingValidator(options.model, this.history, rules);
    this.peers = options.peers;
    // The shadow sees the same readings with the same model and history: it shares the main validator's forecasts.
    this.shadow = options.peers ? this.validator.twin() : null;
    this.series = series;
    this.baseModel = options.model;
    this.model = options.model;
    this.startMs = startMs;
    this.validatorOptions = options.validator ?? {};
    this.refit = options.refit
      ? new RollingRefit(options.refit, this.validator.clock, startMs, options.refitRunner)
      : null;
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
    this.model = model;
    this.modelJson = undefined;
    this.validator.replaceModel(model);
    this.shadow?.replaceModel(model);
  }

  /**
   * The stage's whole state as text, so a restarted process resumes from it instead of replaying every reading
   * it ever checked: the validated history since `startMs` (only the last `windowDays` + 8 days, all that later
   * lags and refits read), the per-source state of both validators and of the peer check, the refit schedule and
   * the model in use. `restore` on a stage built with the same setup gives the same verdicts from then on.
   */
  snapshot(): string {
    return this.stateText(this.history.slice(this.keepFrom(), Infinity));
  }

  /**
   * `snapshot` in two parts, for a writer that stores one with every period (the gateway): the history alone grows
   * to the refit window plus 8 days of instants, so it is kept apart and only its samples after `after` are given
   * each time, with the time before which samples are no longer read. `restore(state, samples)` with the samples
   * from `keepFrom` on resumes as `restore(snapshot())` would.
   */
  snapshotParts(after: number): SnapshotParts {
    const keepFrom = this.keepFrom();
    const history = this.history.slice(Math.max(keepFrom, after), Infinity);
    if (history.timestamps[0] === after) for (const column of Object.values(history)) column.shift();
    return { state: this.stateText(null), history, keepFrom };
  }

  /** The first instant of the history later lags and refits can read. */
  private keepFrom(): number {
    return Math.max(this.startMs, this.lastT - ((this.refit?.options.windowDays ?? 0) + 8) * DAY_MS);
  }

  private stateText(history: HistorySamples | null): string {
    const state: StageState = {
      format: SNAPSHOT_FORMAT,
      setup: this.setupKey(),
      lastT: this.lastT,
      history,
      validator: this.validator.exportState(),
      shadow: this.shadow?.exportState() ?? null,
      peers: this.peers?.exportState() ?? null,
      refit: this.refit?.exportState() ?? null,
      model: null, // last: a refitted model's JSON replaces this null below
    };
    // Non-finite numbers (a source's NaN "no value yet", a refit never due) survive as strings.
    const text = JSON.stringify(state, (_k, v: unknown) =>
      typeof v === "number" && !Number.isFinite(v) ? String(v) : v,
    );
    if (this.model === this.baseModel) return text;
    // The refitted model (hundreds of kB) changes once a week: serialised once, not with every period.
    this.modelJson ??= JSON.stringify(this.model);
    return `${text.slice(0, -"null}".length)}${this.modelJson}}`;
  }

  /**
   * Restores a `snapshot` taken of a stage with the same setup (model, start, options, neighbourhoods) onto this
   * fresh one (or the `state` of `snapshotParts` with the history `samples` kept since `keepFrom`). Returns a
   * reason when it cannot (another setup or format, a stage that already checked readings): the caller then
   * rebuilds the state by replaying its readings.
   */
  restore(text: string, samples?: HistorySamples): { ok: true } | { ok: false; reason: string } {
    if (this.lastT !== -Infinity) return { ok: false, reason: "the stage has already checked readings" };
    let state: StageState;
    try {
      state = JSON.parse(text, (_k, v: unknown) =>
        v === "NaN" || v === "Infinity" || v === "-Infinity" ? Number(v) : v,
      ) as StageState;
    } catch (e) {
      return { ok: false, reason: `not JSON: ${(e as Error).message}` };
    }
    if (state.format !== SNAPSHOT_FORMAT) return { ok: false, reason: `format ${String(state.format)}` };
    if (state.setup !== this.setupKey()) return { ok: false, reason: "taken with another model or setup" };
    const history = state.history ?? samples;
    if (!history) return { ok: false, reason: "the snapshot's history is kept apart and was not given" };
    const { timestamps, load, temperature } = history;
    for (let i = 0; i < timestamps.length; i++)
      if (!this.history.append(timestamps[i], load[i], temperature[i]))
        return { ok: false, reason: `history sample ${i} is not after the file's rows` };
    if (state.model) this.replaceModel(parseModel(state.model, "validate stage snapshot"));
    this.validator.importState(state.validator);
    if (state.shadow) this.shadow?.importState(state.shadow);
    if (state.peers) this.peers?.importState(state.peers);
    if (state.refit) this.refit?.importState(state.refit);
    this.lastT = state.lastT;
    return { ok: true };
  }

  /** What a snapshot must have been taken with for `restore` to give the same verdicts. */
  private setupKey(): string {
    const m = this.baseModel;
    // Asked with every snapshot; what it is made of never changes.
    return (this.setupKeyText ??= JSON.stringify({
      startMs: this.startMs,
      trainedOn: m.trainedOn,
      svr: [m.svr.bias, m.svr.coef.length, m.svr.params],
      validator: this.validatorOptions,
      peers: this.peers ? [this.peers.options, [...this.peers.neighbourhoods]] : null,
      refit: this.refit?.options ?? null,
    }));
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
      const reading = given.temperatureC === undefined ? withTemperature(given, temperatureC) : given;
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

/**
 * A reading with the temperature known at its instant, as a literal of StageReading's fields (properties a caller
 * added beyond them are not carried over): an object spread (`{ ...r, temperatureC }`) cost about 2 us a reading,
 * the largest cost of a check after the forecasts.
 */
function withTemperature(r: StageReading, temperatureC: number): StageReading {
  return {
    source: r.source,
    timestamp: r.timestamp,
    value: r.value,
    noise: r.noise,
    resolution: r.resolution,
    temperatureC,
  };
}

const DAY_MS = 86_400_000;
const SNAPSHOT_FORMAT = "gridledger-validate-stage/1";

/** A validate stage's state as `snapshot` writes it. */
interface StageState {
  format: string;
  setup: string;
  lastT: number;
  /** Null in the state part of `snapshotParts` (the writer keeps the history apart). */
  history: HistorySamples | null;
  validator: [string, Record<string, number>][];
  shadow: [string, Record<string, number>][] | null;
  peers: PeerSnapshot | null;
  refit: { next: number; times: number[]; rows: number } | null;
  model: ValidatorModel | null;
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
