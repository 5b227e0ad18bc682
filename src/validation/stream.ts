import { LoadHistory } from "./history";
import { ANOMALY_KINDS, injectAnomalies, type AnomalyKind, type InjectOptions, type Injection } from "./inject";
import { detectionMetrics, type DetectionMetrics } from "./metrics";
import type { ValidatorModel } from "./model";
import { RollingRefit, type RefitCost, type RefitOptions } from "./refit";
import type { LoadSeries } from "./series";
import {
  StreamingValidator,
  type CheckResult,
  type FlagRule,
  type ReasonCode,
  type ValidatorOptions,
} from "./validator";

/** One quarantined reading, as listed in reports. */
export interface FlaggedReading {
  timestamp: string;
  actual: number;
  forecast: number;
  reason: ReasonCode;
  flaggedBy: FlagRule;
}

/** Detection quality against injected ground truth (point-wise unless named otherwise). */
export interface AnomalyReport {
  /** Labelled anomalous readings (0 without injection). */
  injected: number;
  flagged: number;
  truePositives: number;
  precision: number | null;
  recall: number | null;
  /** Readings the injector changed at all, and the share of them flagged. */
  altered: number;
  recallAltered: number | null;
  /** Events with at least one flagged reading, over all events. */
  eventRecall: number | null;
  byKind: Partial<Record<AnomalyKind, { events: number; labelled: number; detected: number; recall: number | null }>>;
  reasons: Partial<Record<ReasonCode, number>>;
}

export interface StreamOutcome {
  timestamps: number[];
  actual: number[];
  results: CheckResult[];
  injection: Injection | null;
  report: AnomalyReport;
  flagged: FlaggedReading[];
  /** Issue 14's metrics against the injection (null without one); clean false alarms come from the caller. */
  detection: DetectionMetrics | null;
  /** Wall time of the validator calls only (refits excluded). */
  checkMs: number;
  refit: RefitCost;
}

/** Models fitted ahead of time, each in force from `from` (epoch ms) on: a precomputed rolling refit. */
export type ModelSchedule = readonly { from: number; model: ValidatorModel }[];

export interface StreamOptions {
  /** Seed for anomaly injection; no injection when undefined. */
  injectSeed?: number;
  inject?: Partial<InjectOptions>;
  validator?: ValidatorOptions;
  /**
   * Rolling refit on the validated history (refit.ts), or a schedule of models fitted ahead of time (the
   * benchmark's parameter sweeps share one, because refitting per run and setting would take hours).
   */
  refit?: RefitOptions | ModelSchedule;
}

/**
 * Streams the readings of `series` in `[from, to]` through a fresh validator in time order, the way
 * a live feed would arrive: lags come from the file before `from` and then from the validated stream
 * itself (record mode), so an injected anomaly cannot leak into later forecasts once it is caught.
 */
export async function streamValidate(
  model: ValidatorModel,
  series: LoadSeries,
  from: number,
  to: number,
  options: StreamOptions = {},
): Promise<StreamOutcome> {
  const idx: number[] = [];
  for (let i = 0; i < series.timestamps.length; i++) {
    if (series.timestamps[i] >= from && series.timestamps[i] <= to) idx.push(i);
  }
  const before = series.timestamps.findIndex((t) => t >= from);
  const cut = before < 0 ? series.timestamps.length : before;
  const history = new LoadHistory(
    series.timestamps.slice(0, cut),
    series.load.slice(0, cut),
    series.temperature ? series.temperature.slice(0, cut) : null,
  );
  const timestamps = idx.map((i) => series.timestamps[i]);
  const clean = idx.map((i) => series.load[i]);
  const injection =
    options.injectSeed === undefined ? null : injectAnomalies(clean, series.stepMs, options.injectSeed, options.inject);
  const actual = injection ? Array.from(injection.values) : clean;
  const validator = new StreamingValidator(model, history, { ...options.validator, record: true });
  const schedule = Array.isArray(options.refit) ? (options.refit as ModelSchedule) : null;
  const rolling =
    options.refit && !schedule ? new RollingRefit(options.refit as RefitOptions, validator.clock, from) : null;
  let next = 0;
  let checkNs = 0n;
  const results: CheckResult[] = [];
  for (let r = 0; r < idx.length; r++) {
    const t = timestamps[r];
    if (rolling?.due(t)) validator.replaceModel(await rolling.refit(model, history, t));
    if (schedule) {
      let m: ValidatorModel | null = null;
      while (next < schedule.length && schedule[next].from <= t) m = schedule[next++].model;
      if (m) validator.replaceModel(m);
    }
    const t0 = process.hrtime.bigint();
    results.push(
      validator.check({
        timestamp: t,
        value: actual[r],
        temperatureC: series.temperature ? series.temperature[idx[r]] : undefined,
      }),
    );
    checkNs += process.hrtime.bigint() - t0;
  }
  const flagged: FlaggedReading[] = [];
  results.forEach((res, r) => {
    if (!res.ok) {
      flagged.push({
        timestamp: new Date(timestamps[r]).toISOString(),
        actual: actual[r],
        forecast: res.forecast,
        reason: res.reason as ReasonCode,
        flaggedBy: res.flaggedBy as FlagRule,
      });
    }
  });
  const flags = results.map((x) => !x.ok);
  return {
    timestamps,
    actual,
    results,
    injection,
    report: scoreDetection(results, injection),
    flagged,
    detection: injection ? detectionMetrics(timestamps, flags, injection, clean) : null,
    checkMs: Number(checkNs) / 1e6,
    refit: rolling?.cost() ?? { refits: schedule?.length ?? 0, totalMs: 0, meanMs: 0, rowsPerFit: 0 },
  };
}

/**
 * The models a rolling refit on the file's own rows would use over `[from, to]`: one per `everyDays`, each fitted
 * on the trailing window before it. A benchmark shares them across runs; a live validator refits on what it
 * validated instead (`StreamOptions.refit` as RefitOptions).
 */
export async function refitSchedule(
  model: ValidatorModel,
  series: LoadSeries,
  from: number,
  to: number,
  refit: RefitOptions,
): Promise<{ schedule: ModelSchedule; cost: RefitCost }> {
  const history = new LoadHistory(series.timestamps, series.load, series.temperature);
  const validator = new StreamingValidator(model, history);
  const rolling = new RollingRefit(refit, validator.clock, from);
  const schedule: { from: number; model: ValidatorModel }[] = [];
  for (const t of series.timestamps) {
    if (t < from || t > to || !rolling.due(t)) continue;
    schedule.push({ from: t, model: await rolling.refit(model, history, t) });
  }
  return { schedule, cost: rolling.cost() };
}

/** Scores flags against the injection's labels (or just counts them when there is none). */
export function scoreDetection(results: CheckResult[], injection: Injection | null): AnomalyReport {
  const reasons: Partial<Record<ReasonCode, number>> = {};
  let flaggedCount = 0;
  for (const r of results) {
    if (r.ok) continue;
    flaggedCount++;
    const reason = r.reason as ReasonCode;
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  if (!injection) {
    return {
      injected: 0,
      flagged: flaggedCount,
      truePositives: 0,
      precision: null,
      recall: null,
      altered: 0,
      recallAltered: null,
      eventRecall: null,
      byKind: {},
      reasons,
    };
  }
  const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
  let tp = 0;
  let alteredFlagged = 0;
  results.forEach((r, i) => {
    if (!r.ok && injection.labels[i]) tp++;
    if (!r.ok && injection.kinds[i] !== null) alteredFlagged++;
  });
  const byKind: AnomalyReport["byKind"] = {};
  for (const kind of ANOMALY_KINDS) {
    const evs = injection.events.filter((e) => e.kind === kind);
    if (evs.length === 0) continue;
    let labelled = 0;
    let detected = 0;
    for (const e of evs) {
      for (let i = e.start; i < e.start + e.length; i++) {
        if (!injection.labels[i]) continue;
        labelled++;
        if (!results[i].ok) detected++;
      }
    }
    byKind[kind] = { events: evs.length, labelled, detected, recall: ratio(detected, labelled) };
  }
  const eventsHit = injection.events.filter((e) => results.slice(e.start, e.start + e.length).some((r) => !r.ok));
  return {
    injected: injection.labelled,
    flagged: flaggedCount,
    truePositives: tp,
    precision: ratio(tp, flaggedCount),
    recall: ratio(tp, injection.labelled),
    altered: injection.altered,
    recallAltered: ratio(alteredFlagged, injection.altered),
    eventRecall: ratio(eventsHit.length, injection.events.length),
    byKind,
    reasons,
  };
}
