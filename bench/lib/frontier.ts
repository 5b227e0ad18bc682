/**
 * The single-series frontier of the validation benchmark: from the operating points swept on each half-year, what the
 * issue-14 targets cost. Kept apart from bench/validation.ts so a finished run's JSON can be summarised again
 * without re-running the sweep (`npx ts-node bench/lib/frontier.ts bench/results/validation.json`).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { DEFAULT_CUSUM_H, DEFAULT_K, DEFAULT_LEVEL_K, type ValidatorOptions } from "../../src/validation/validator";

export interface FrontierPoint {
  setting: unknown;
  precision: number | null;
  driftRecall: number | null;
  driftBefore10: number | null;
  cleanFalseAlarmsPerDay: number | null;
}

export interface FrontierTargets {
  eventRecall: number;
  driftBefore10: number;
  precision: number;
  cleanFalseAlarmsPerDay: number;
}

/** Per half-year: the best each drift figure gets within the false-alarm budget, and what the drift targets cost. */
export function frontier<P extends FrontierPoint>(points: readonly P[], targets: FrontierTargets) {
  const fa = (p: P) => p.cleanFalseAlarmsPerDay ?? Infinity;
  const best = (pool: readonly P[], key: "driftRecall" | "driftBefore10") =>
    pool.reduce<P | null>((a, b) => (a === null || (b[key] ?? 0) > (a[key] ?? 0) ? b : a), null);
  const cheapest = (pool: readonly P[]) => pool.reduce<P | null>((a, b) => (a === null || fa(b) < fa(a) ? b : a), null);
  const inBudget = points.filter((p) => fa(p) <= targets.cleanFalseAlarmsPerDay);
  const meetsBoth = inBudget.filter((p) => (p.precision ?? 0) >= targets.precision);
  return {
    /** Within the false-alarm budget: the highest drift recall in budget and the highest share before 10% error. */
    withinFalseAlarmBudget: {
      settings: inBudget.length,
      bestDriftRecall: best(inBudget, "driftRecall"),
      bestDriftBefore10: best(inBudget, "driftBefore10"),
      /** Also at or above the precision target. */
      bestDriftRecallWithPrecision: best(meetsBoth, "driftRecall"),
    },
    /** The fewest clean false alarms among the settings that reach each drift target (null: none does). */
    cheapestDriftRecallTarget: cheapest(points.filter((p) => (p.driftRecall ?? 0) >= targets.eventRecall)),
    cheapestDriftBefore10Target: cheapest(points.filter((p) => (p.driftBefore10 ?? 0) >= targets.driftBefore10)),
    bestDriftBefore10Overall: best(points, "driftBefore10"),
  };
}

/** One-sided confidence of the false-alarm bound in `chooseOperatingPoint`. */
export const FALSE_ALARM_CONFIDENCE = 0.95;

/**
 * The one-sided upper confidence bound of a Poisson mean after observing `n` events: the mean at which seeing `n` or
 * fewer has probability `1 - confidence`.
 */
export function poissonUpper(n: number, confidence = FALSE_ALARM_CONFIDENCE): number {
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`poissonUpper: n must be a count (got ${n})`);
  const cdf = (lambda: number): number => {
    let term = Math.exp(-lambda);
    let sum = term;
    for (let i = 1; i <= n; i++) sum += term *= lambda / i;
    return sum;
  };
  let [lo, hi] = [0, n + 10 + 10 * Math.sqrt(n + 1)];
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) > 1 - confidence) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The rule that picks the single-series defaults on the validation half-year (`days` long). The false-alarm budget
 * is a hard constraint, so a setting must meet it with confidence, not on its point estimate: the one-sided 95%
 * Poisson upper bound of its clean false alarms must be within the budget (on 181 days and a budget of 0.1 a day,
 * at most 10 clean flags, 0.055 a day). Among those (all, when none qualifies): the most drifts in budget, then
 * precision, then the fewest clean false alarms; a tie left after that goes to the least sensitive setting (highest
 * k, then levelK, then cusumH), which can only flag less on an unseen year.
 */
export function chooseOperatingPoint<P extends FrontierPoint & { setting: ValidatorOptions }>(
  points: readonly P[],
  falseAlarmBudget: number,
  days: number,
): P {
  if (points.length === 0) throw new Error("chooseOperatingPoint: no operating points");
  const ok = points.filter((p) => falseAlarmBound(p, days) <= falseAlarmBudget);
  const key = (p: P): number[] => [
    p.driftRecall ?? 0,
    p.precision ?? 0,
    -(p.cleanFalseAlarmsPerDay ?? Infinity),
    p.setting.k ?? DEFAULT_K,
    p.setting.levelK ?? DEFAULT_LEVEL_K,
    p.setting.cusumH ?? DEFAULT_CUSUM_H,
  ];
  const better = (b: P, a: P): boolean => {
    const [kb, ka] = [key(b), key(a)];
    const i = kb.findIndex((x, j) => x !== ka[j]);
    return i >= 0 && kb[i] > ka[i];
  };
  return (ok.length ? ok : points).reduce((a, b) => (better(b, a) ? b : a));
}

/** A point's clean false alarms a day at the upper confidence bound (Infinity when unmeasured). */
export function falseAlarmBound(p: FrontierPoint, days: number): number {
  if (p.cleanFalseAlarmsPerDay === null) return Infinity;
  return poissonUpper(Math.round(p.cleanFalseAlarmsPerDay * days)) / days;
}

/** Why the single-series drift targets are missed (measured in docs/validation.md, "Not reached, and why"). */
export const FRONTIER_WHY =
  "A drift is labelled at 5% error; flagging the slowest one (20% over 12 h, about 1.2 hourly innovation sigma an " +
  "hour) before 10% means flagging a 3-6 h ramp of under 340 MW (2.6 sd_res), the same size and shape as the SVR's " +
  "own multi-hour misses on weather changes and weekend mornings (300-430 MW). On one series the two cannot be told " +
  "apart: before-10% reaches 0.90 only at about 0.5 (H1) to 0.8 (H2) clean false alarms a day (CUSUM 4 / 0.5, cheap " +
  "runs), 5-8x the budget. Peers tell them apart (the model's errors are shared and cancel), which is where the " +
  "targets are met.";

if (require.main === module) {
  const file = process.argv[2];
  if (!file) throw new Error("usage: ts-node bench/lib/frontier.ts <bench/results/validation.json>");
  const results = JSON.parse(readFileSync(file, "utf8"));
  const op = results.detection.operatingPoints;
  results.detection.frontier = {
    validation: frontier(op.validation, results.targets),
    test: frontier(op.test, results.targets),
    why: FRONTIER_WHY,
  };
  writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
}
