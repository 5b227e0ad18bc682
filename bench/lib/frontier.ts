/**
 * The single-series frontier of the validation benchmark: from the operating points swept on each half-year, what the
 * issue-14 targets cost. Kept apart from bench/validation.ts so a finished run's JSON can be summarised again
 * without re-running the sweep (`npx ts-node bench/lib/frontier.ts bench/results/validation.json`).
 */
import { readFileSync, writeFileSync } from "node:fs";

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
