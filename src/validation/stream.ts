import { LoadHistory } from "./history";
import { ANOMALY_KINDS, injectAnomalies, type AnomalyKind, type InjectOptions, type Injection } from "./inject";
import type { ValidatorModel } from "./model";
import type { LoadSeries } from "./series";
import { StreamingValidator, type CheckResult, type ReasonCode, type ValidatorOptions } from "./validator";

/** One quarantined reading, as listed in reports. */
export interface FlaggedReading {
  timestamp: string;
  actual: number;
  forecast: number;
  reason: ReasonCode;
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
  /** Wall time of the validator calls only. */
  checkMs: number;
}

export interface StreamOptions {
  /** Seed for anomaly injection; no injection when undefined. */
  injectSeed?: number;
  inject?: Partial<InjectOptions>;
  validator?: ValidatorOptions;
}

/**
 * Streams the readings of `series` in `[from, to]` through a fresh validator in time order, the way
 * a live feed would arrive: lags come from the file before `from` and then from the validated stream
 * itself (record mode), so an injected anomaly cannot leak into later forecasts once it is caught.
 */
export function streamValidate(
  model: ValidatorModel,
  series: LoadSeries,
  from: number,
  to: number,
  options: StreamOptions = {},
): StreamOutcome {
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
  const t0 = process.hrtime.bigint();
  const results = idx.map((i, r) =>
    validator.check({
      timestamp: timestamps[r],
      value: actual[r],
      temperatureC: series.temperature ? series.temperature[i] : undefined,
    }),
  );
  const checkMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const flagged: FlaggedReading[] = [];
  results.forEach((res, r) => {
    if (!res.ok) {
      flagged.push({
        timestamp: new Date(timestamps[r]).toISOString(),
        actual: actual[r],
        forecast: res.forecast,
        reason: res.reason as ReasonCode,
      });
    }
  });
  return { timestamps, actual, results, injection, report: scoreDetection(results, injection), flagged, checkMs };
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
