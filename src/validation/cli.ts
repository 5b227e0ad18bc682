import type { CommonTaskOptions, ValidateTaskOptions } from "./options";
import { DEFAULT_REFIT, type RefitOptions } from "./refit";
import type { ModelOptions, ValidationReport } from "./run";
import { PLAIN_RULE, type ValidatorOptions } from "./validator";

/** Maps task options onto the model and validator options of run.ts. */
export function toModelOptions(opts: CommonTaskOptions, log: (m: string) => void): ModelOptions {
  return {
    data: opts.data,
    trainFrom: opts.trainFrom,
    trainTo: opts.trainTo,
    valFrom: opts.valFrom,
    valTo: opts.valTo,
    calFrom: opts.calFrom,
    calTo: opts.calTo,
    zone: opts.zone,
    skipMalformed: opts.skipMalformed,
    modelIn: opts.model,
    modelOut: opts.saveModel,
    preset: opts.preset,
    train: {
      hMin: opts.hMin,
      screen: opts.screen,
      searchBudgetMs: opts.searchBudget === undefined ? undefined : opts.searchBudget * 1000,
    },
    log,
  };
}

export function toValidatorOptions(opts: CommonTaskOptions): ValidatorOptions {
  return {
    k: opts.k,
    threshold: opts.threshold,
    levelK: opts.levelK,
    cusumH: opts.cusumH,
    cusumK: opts.cusumK,
    innovationScaleMax: opts.innovationScaleMax,
    ...(opts.plainRule ? PLAIN_RULE : {}),
  };
}

export function toRefitOptions(opts: ValidateTaskOptions): RefitOptions {
  return {
    ...DEFAULT_REFIT,
    everyDays: opts.refitDays ?? DEFAULT_REFIT.everyDays,
    windowDays: opts.refitWindow ?? DEFAULT_REFIT.windowDays,
  };
}

const pct = (x: number | null): string => (x === null ? "-" : `${(100 * x).toFixed(1)}%`);

/** A short human summary of a grid:validate report. */
export function formatValidationSummary(r: ValidationReport): string {
  const lines: string[] = [];
  lines.push(
    `rows: train ${r.rows.train}, calibration ${r.rows.calibration}, validation ${r.rows.validation}, test ${r.rows.test}, skipped ${r.rows.skipped}, ` +
      `without lag history ${r.rows.noHistory}, gaps ${r.rows.gaps.length}`,
  );
  lines.push(
    "factors: " +
      r.factors.map((f) => `${f.name} ${f.h === null ? "n/a" : f.h.toFixed(3)}${f.kept ? "*" : ""}`).join(", "),
  );
  lines.push("model          MAPE %   RMSE    train ms");
  for (const [name, m] of Object.entries(r.models)) {
    if (!m) continue;
    lines.push(
      `${name.padEnd(14)} ${m.mape.toFixed(3).padStart(6)} ${m.rmse.toFixed(1).padStart(7)} ${String(m.trainMs).padStart(10)}`,
    );
  }
  const a = r.anomalies;
  lines.push(
    `anomalies: injected ${a.injected}, flagged ${a.flagged}, true positives ${a.truePositives}, ` +
      `precision ${pct(a.precision)}, recall ${pct(a.recall)}`,
  );
  lines.push(
    `reasons: ${
      Object.entries(a.reasons)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ") || "none"
    }`,
  );
  const d = r.detection;
  if (d) {
    const kinds = Object.entries(d.events)
      .map(([k, e]) => `${k} ${e.inBudget}/${e.injected}`)
      .join(", ");
    const f = (x: number | null, digits = 2): string => (x === null ? "-" : x.toFixed(digits));
    lines.push(
      `detection: precision ${f(d.precision)}, point F1 ${f(d.pointF1)}, NAB ${f(d.nabScore, 1)}, ` +
        `clean false alarms ${f(d.cleanFalseAlarmsPerDay, 3)}/day; events in budget: ${kinds}; ` +
        `drift flagged before 10% / 20% error: ${f(d.driftBeforeError["10"])} / ${f(d.driftBeforeError["20"])}`,
    );
  }
  lines.push(
    `refit: every ${r.refit.options.everyDays} days on ${r.refit.options.windowDays} trailing days, ` +
      `${r.refit.detection.refits} refits, ${Math.round(r.refit.detection.meanMs)} ms each`,
  );
  lines.push(`throughput: ${Math.round(r.throughput.checksPerSecond)} checks/s over ${r.throughput.checks} readings`);
  return lines.join("\n");
}
