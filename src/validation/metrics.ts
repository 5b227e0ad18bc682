import { ANOMALY_KINDS, type AnomalyKind, type Injection } from "./inject";
import { median } from "./stats";

/**
 * Detection metrics the way the field reports them (issue 14): event recall within a latency budget, detection
 * delay, point precision with collateral flags apart, false alarms per day on clean data, a NAB score (standard
 * profile) and raw point F1. Point-adjusted F1 is deliberately absent: it flatters (Kim et al., AAAI 2022).
 */

/** Latency budget per kind, counted from the first labelled reading: readings, or hours for drift. */
export const EVENT_BUDGET: Readonly<Record<AnomalyKind, { readings?: number; hours?: number }>> = {
  spike: { readings: 1 },
  dropout: { readings: 1 },
  unit: { readings: 1 },
  stuck: { readings: 2 },
  drift: { hours: 3 },
};

/** Drift error levels (share of the true value) the first flag should come before. */
export const DRIFT_ERROR_LEVELS = [0.1, 0.2] as const;

/**
 * A false flag this close after an event, or at its 24 h / 168 h echo (the lags read the event's readings), is
 * collateral: an after-effect of the event (a missed or reset one), not an independent false alarm.
 */
export const COLLATERAL_HOURS = 6;
const ECHO_HOURS = [24, 168];

/** NAB's standard application profile (Lavin and Ahmad 2015). */
export const NAB_STANDARD = { tp: 1, fp: 0.11, fn: 1 } as const;
/** NAB: all windows together span 10% of the data. */
const NAB_WINDOW_SHARE = 0.1;

export interface Delay {
  mean: number | null;
  median: number | null;
  p90: number | null;
}

export interface KindEvents {
  injected: number;
  inBudget: number;
  recall: number | null;
  /** Hours from the first labelled reading to the first flag on the event (0 when flagged before the label). */
  delayHours: Delay;
}

/** The `detection` block of grid:validate's JSON (issue 14's schema, plus the counts behind it). */
export interface DetectionMetrics {
  /** Flags on readings the injection changed, over all flags. */
  precision: number | null;
  /** Raw point F1 against the labels (no point adjustment). */
  pointF1: number | null;
  /** NAB score, standard profile, normalised: 100 perfect, 0 a detector that never flags. */
  nabScore: number | null;
  /** Flags per day per stream on the same readings without injection (null when not measured). */
  cleanFalseAlarmsPerDay: number | null;
  events: Partial<Record<AnomalyKind, KindEvents>>;
  /** Share of drift events first flagged before their error reached 10% / 20% of the true value. */
  driftBeforeError: { "10": number | null; "20": number | null };
  counts: {
    flags: number;
    /** Flags on changed readings. */
    onAnomalies: number;
    /** Flags on unchanged readings right after an event or at its lag echoes. */
    collateral: number;
    /** The remaining false flags. */
    falseAlarms: number;
    /** Precision with collateral flags left out of the denominator. */
    precisionWithoutCollateral: number | null;
    labelled: number;
    labelledFlagged: number;
    /** Per kind, the delay (hours) of every detected event, so runs can be pooled (poolDetection). */
    delays: Partial<Record<AnomalyKind, number[]>>;
  };
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/** Mean, median and 90th percentile (nearest rank) of a sample; nulls when empty. */
export function delayStats(xs: readonly number[]): Delay {
  if (xs.length === 0) return { mean: null, median: null, p90: null };
  const s = [...xs].sort((a, b) => a - b);
  const rank = (q: number): number => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, median: median(s), p90: rank(0.9) };
}

/** NAB's scaled sigmoid: about 1 early in a window, 0 at its end, towards -1 after it. */
export function nabSigmoid(y: number): number {
  return y > 3 ? -1 : 2 / (1 + Math.exp(5 * y)) - 1;
}

/**
 * The NAB score (standard profile) of flags against event windows of `[first, last]` reading indices.
 * Windows are NAB's: centred on the event's first labelled reading, together 10% of the readings, stretched to
 * cover the event; the first flag in a window scores by its position, later ones nothing; a flag outside every
 * window costs `fp * sigmoid` of its distance after the window before it (the full `fp` when none is before);
 * a window without a flag costs `fn`. Normalised as NAB: 100 is perfect, 0 is the detector that never flags.
 */
export function nabScore(flags: ArrayLike<boolean>, events: readonly { first: number; last: number }[]): number | null {
  if (events.length === 0) return null;
  const n = flags.length;
  const half = Math.max(1, Math.floor((NAB_WINDOW_SHARE * n) / events.length / 2));
  const windows = events
    .map((e) => ({ start: Math.max(0, e.first - half), end: Math.min(n - 1, Math.max(e.last, e.first + half)) }))
    .sort((a, b) => a.start - b.start);
  const maxTp = nabSigmoid(-1);
  let raw = 0;
  let w = 0;
  let prev: { start: number; end: number } | null = null;
  const hit = new Array<boolean>(windows.length).fill(false);
  for (let i = 0; i < n; i++) {
    while (w < windows.length && windows[w].end < i) prev = windows[w++];
    if (!flags[i]) continue;
    const win = w < windows.length && windows[w].start <= i ? windows[w] : null;
    if (win) {
      if (!hit[w]) {
        hit[w] = true;
        const len = win.end - win.start + 1;
        raw += (NAB_STANDARD.tp * nabSigmoid(-(win.end - i + 1) / len)) / maxTp;
      }
    } else if (prev) {
      raw += NAB_STANDARD.fp * nabSigmoid((i - prev.end) / (prev.end - prev.start + 1));
    } else {
      raw -= NAB_STANDARD.fp;
    }
  }
  raw -= NAB_STANDARD.fn * hit.filter((h) => !h).length;
  const nullScore = -NAB_STANDARD.fn * windows.length;
  const perfect = NAB_STANDARD.tp * windows.length;
  return (100 * (raw - nullScore)) / (perfect - nullScore);
}

/**
 * Scores the flags of one stream (`flagged[i]` for reading i at `timestamps[i]`) against an injection.
 * `clean` gives the flags of the same readings without injection, for the false alarms per day.
 */
export function detectionMetrics(
  timestamps: ArrayLike<number>,
  flagged: ArrayLike<boolean>,
  injection: Injection,
  truth: ArrayLike<number>,
  clean?: { flags: number; days: number; streams?: number },
): DetectionMetrics {
  const n = flagged.length;
  const H = 3_600_000;
  let flags = 0;
  let onAnomalies = 0;
  let labelledFlagged = 0;
  const collateralZone = new Uint8Array(n);
  const events = injection.events;
  for (const e of events) {
    const endT = timestamps[e.start + e.length - 1];
    for (let i = e.start + e.length; i < n && timestamps[i] - endT <= COLLATERAL_HOURS * H; i++) collateralZone[i] = 1;
  }
  const eventSpans = events.map((e) => [timestamps[e.start], timestamps[e.start + e.length - 1] + H] as const);
  const isEcho = (t: number): boolean =>
    ECHO_HOURS.some((h) => eventSpans.some(([a, b]) => t - h * H >= a && t - h * H <= b));
  let collateral = 0;
  for (let i = 0; i < n; i++) {
    if (!flagged[i]) continue;
    flags++;
    if (injection.labels[i]) labelledFlagged++;
    if (injection.kinds[i] !== null) onAnomalies++;
    else if (collateralZone[i] || isEcho(timestamps[i])) collateral++;
  }
  const precision = ratio(onAnomalies, flags);
  const pointRecall = ratio(labelledFlagged, injection.labelled);
  const pointPrecision = ratio(labelledFlagged, flags);
  const pointF1 =
    pointRecall === null || pointPrecision === null
      ? null
      : pointRecall + pointPrecision > 0
        ? (2 * pointRecall * pointPrecision) / (pointRecall + pointPrecision)
        : 0;

  const byKind: DetectionMetrics["events"] = {};
  const drifts: boolean[][] = DRIFT_ERROR_LEVELS.map(() => []);
  const windows: { first: number; last: number }[] = [];
  const allDelays: DetectionMetrics["counts"]["delays"] = {};
  for (const kind of ANOMALY_KINDS) {
    const evs = events.filter((e) => e.kind === kind);
    if (evs.length === 0) continue;
    const delays: number[] = [];
    let inBudget = 0;
    let injected = 0;
    for (const e of evs) {
      const idx = Array.from({ length: e.length }, (_, j) => e.start + j);
      const labelled = idx.filter((i) => injection.labels[i]);
      if (labelled.length === 0) continue; // a stuck value equal to the truth, or a drift that never got large
      injected++;
      const first = labelled[0];
      windows.push({ first, last: idx[idx.length - 1] });
      const hitIdx = idx.find((i) => flagged[i] && injection.kinds[i] !== null);
      if (kind === "drift") {
        DRIFT_ERROR_LEVELS.forEach((level, j) => {
          const err = hitIdx === undefined ? Infinity : Math.abs(injection.values[hitIdx] / truth[hitIdx] - 1);
          drifts[j].push(err < level);
        });
      }
      if (hitIdx === undefined) continue;
      delays.push(Math.max(0, timestamps[hitIdx] - timestamps[first]) / H);
      const budget = EVENT_BUDGET[kind];
      const within =
        budget.hours !== undefined
          ? timestamps[hitIdx] - timestamps[first] <= budget.hours * H
          : hitIdx < first + (budget.readings ?? 1);
      if (within) inBudget++;
    }
    byKind[kind] = { injected, inBudget, recall: ratio(inBudget, injected), delayHours: delayStats(delays) };
    allDelays[kind] = delays;
  }
  const share = (xs: boolean[]): number | null => ratio(xs.filter(Boolean).length, xs.length);
  const falseAlarms = flags - onAnomalies - collateral;
  return {
    precision,
    pointF1,
    nabScore: nabScore(flagged, windows),
    cleanFalseAlarmsPerDay: clean ? clean.flags / clean.days / (clean.streams ?? 1) : null,
    events: byKind,
    driftBeforeError: { "10": share(drifts[0]), "20": share(drifts[1]) },
    counts: {
      flags,
      onAnomalies,
      collateral,
      falseAlarms,
      precisionWithoutCollateral: ratio(onAnomalies, flags - collateral),
      labelled: injection.labelled,
      labelledFlagged,
      delays: allDelays,
    },
  };
}

/**
 * Pools the metrics of several runs (seeds, or streams of one run): events and counts are summed, delays pooled;
 * NAB, point F1 and the drift shares are averaged over runs; clean false alarms come from the caller.
 */
export function poolDetection(
  runs: readonly DetectionMetrics[],
  cleanFalseAlarmsPerDay: number | null,
): DetectionMetrics {
  const sum = (f: (m: DetectionMetrics) => number): number => runs.reduce((a, m) => a + f(m), 0);
  const avg = (f: (m: DetectionMetrics) => number | null): number | null => {
    const xs = runs.map(f).filter((x): x is number => x !== null);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
  };
  const events: DetectionMetrics["events"] = {};
  const delays: DetectionMetrics["counts"]["delays"] = {};
  for (const kind of ANOMALY_KINDS) {
    const per = runs.map((m) => m.events[kind]).filter((e): e is KindEvents => e !== undefined);
    if (per.length === 0) continue;
    const injected = per.reduce((a, e) => a + e.injected, 0);
    const inBudget = per.reduce((a, e) => a + e.inBudget, 0);
    delays[kind] = runs.flatMap((m) => m.counts.delays[kind] ?? []);
    events[kind] = { injected, inBudget, recall: ratio(inBudget, injected), delayHours: delayStats(delays[kind]!) };
  }
  const flags = sum((m) => m.counts.flags);
  const onAnomalies = sum((m) => m.counts.onAnomalies);
  const collateral = sum((m) => m.counts.collateral);
  const labelled = sum((m) => m.counts.labelled);
  const labelledFlagged = sum((m) => m.counts.labelledFlagged);
  return {
    precision: ratio(onAnomalies, flags),
    pointF1: avg((m) => m.pointF1),
    nabScore: avg((m) => m.nabScore),
    cleanFalseAlarmsPerDay,
    events,
    driftBeforeError: { "10": avg((m) => m.driftBeforeError["10"]), "20": avg((m) => m.driftBeforeError["20"]) },
    counts: {
      flags,
      onAnomalies,
      collateral,
      falseAlarms: flags - onAnomalies - collateral,
      precisionWithoutCollateral: ratio(onAnomalies, flags - collateral),
      labelled,
      labelledFlagged,
      delays,
    },
  };
}
