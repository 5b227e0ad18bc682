import { DEFAULT_ZONE, localClock, parseLocalDate, type LocalClock, type ZoneName } from "./clock";
import { buildDataset, type Dataset, type FactorReport } from "./dataset";
import { N_FACTORS } from "./features";
import { LoadHistory } from "./history";
import type { InjectOptions } from "./inject";
import { FORECASTERS, Forecaster, loadModel, saveModel, type ForecasterName, type ValidatorModel } from "./model";
import { readLoadCsv, type Gap, type LoadSeries, type SkippedRow } from "./series";
import { mape, rmse } from "./stats";
import type { DetectionMetrics } from "./metrics";
import { DEFAULT_REFIT, type RefitCost, type RefitOptions } from "./refit";
import { refitSchedule, streamValidate, type AnomalyReport, type FlaggedReading, type ModelSchedule } from "./stream";
import { trainValidatorModel, type Preset, type TrainOptions, type TrainReport } from "./train";
import {
  DEFAULT_CUSUM_H,
  DEFAULT_CUSUM_K,
  DEFAULT_INNOVATION_SCALE_MAX,
  DEFAULT_K,
  DEFAULT_LEVEL_K,
  PLAIN_RULE,
  type ValidatorOptions,
} from "./validator";

/** Share of the training range used for validation when no validation range is given. */
export const DEFAULT_VALIDATION_SHARE = 0.2;
/**
 * Share of the fitting range (training minus a default validation split) held out at its tail as the calibration
 * slice when none is given: 2012 -> its last quarter.
 */
export const DEFAULT_CALIBRATION_SHARE = 0.25;

/**
 * Where the residual calibration comes from: "slice" (default) a calibration slice held out from the fit and from
 * the tuning (`calFrom`/`calTo`, else the tail of the training range); "validation" the validation split, as
 * before issue 14's protocol (the pipeline and the gateway, which tune nothing on it and whose figures were
 * measured that way).
 */
export type CalibrationSource = "slice" | "validation";

export interface DataOptions {
  /** Load CSV (`timestamp,load_mw[,temperature_c]`). */
  data: string;
  /** Ranges: `YYYY-MM-DD` (local dates on the zone's clock, `*To` inclusive) or ISO timestamps. */
  trainFrom: string;
  trainTo: string;
  valFrom?: string;
  valTo?: string;
  /** Calibration slice (default: the last 25% of the training range, not used for fitting). */
  calFrom?: string;
  calTo?: string;
  calibration?: CalibrationSource;
  zone?: ZoneName;
  skipMalformed?: boolean;
}

export interface ModelOptions extends DataOptions {
  /** Load a saved model instead of training (its zone wins). */
  modelIn?: string;
  /** Save the trained model as JSON. */
  modelOut?: string;
  preset?: Preset;
  train?: TrainOptions;
  log?: (message: string) => void;
}

/** A series, its ranges and a model ready to validate with. */
export interface Prepared {
  series: LoadSeries;
  clock: LocalClock;
  history: LoadHistory;
  model: ValidatorModel;
  train: Dataset;
  val: Dataset;
  /** The calibration slice (null: the validation split calibrates). */
  cal: Dataset | null;
  ranges: { trainFrom: number; trainTo: number; valFrom: number; valTo: number; calFrom: number; calTo: number };
  /** Null when the model was loaded. */
  trainReport: TrainReport | null;
  trainMs: number;
}

/**
 * Reads the data, resolves the ranges (the last 20% of the training range is the validation split
 * unless one is given) and trains a model, or loads one.
 */
export async function prepare(opts: ModelOptions): Promise<Prepared> {
  const series = readLoadCsv(opts.data, { skipMalformed: opts.skipMalformed });
  const loaded = opts.modelIn ? loadModel(opts.modelIn) : null;
  const clock = localClock(loaded?.zone ?? opts.zone ?? DEFAULT_ZONE);
  const history = LoadHistory.fromSeries(series);
  const trainFrom = parseLocalDate(opts.trainFrom, clock);
  let trainTo = parseLocalDate(opts.trainTo, clock, true);
  if (!(trainTo > trainFrom)) throw new Error(`--train-to (${opts.trainTo}) must be after --train-from`);
  const tailOfTraining = (share: number, what: string): number => {
    const inRange = series.timestamps.filter((t) => t >= trainFrom && t <= trainTo);
    if (inRange.length < 10)
      throw new Error(`the training range holds ${inRange.length} rows of ${opts.data} (${what})`);
    return inRange[Math.floor(inRange.length * (1 - share))];
  };
  const valGiven = givenRange("val", opts.valFrom, opts.valTo, clock);
  const calGiven = givenRange("cal", opts.calFrom, opts.calTo, clock);
  const slice = (opts.calibration ?? "slice") === "slice";
  if (calGiven && !slice) throw new Error("--cal-from/--cal-to given with calibration on the validation split");
  let valFrom: number;
  let valTo: number;
  const texts = { trainFrom: opts.trainFrom, trainTo: opts.trainTo };
  if (valGiven) {
    [valFrom, valTo] = valGiven;
    // Validation rows tune the model and the detector; a row seen in training would flatter them.
    refuseOverlap(
      "training",
      texts.trainFrom,
      texts.trainTo,
      trainFrom,
      trainTo,
      "validation",
      opts.valFrom!,
      opts.valTo!,
      valFrom,
      valTo,
    );
  } else {
    valFrom = tailOfTraining(DEFAULT_VALIDATION_SHARE, "validation split");
    valTo = trainTo;
    trainTo = valFrom - 1;
  }
  let calFrom = NaN;
  let calTo = NaN;
  if (calGiven) {
    [calFrom, calTo] = calGiven;
    // Calibration rows measure the out-of-sample residual spread: fitted rows would shrink it, and tuning the
    // detector on the rows that calibrate it is the in-sample protocol this slice exists to avoid.
    refuseOverlap(
      "training",
      texts.trainFrom,
      iso(trainTo),
      trainFrom,
      trainTo,
      "calibration",
      opts.calFrom!,
      opts.calTo!,
      calFrom,
      calTo,
    );
    refuseOverlap(
      "calibration",
      opts.calFrom!,
      opts.calTo!,
      calFrom,
      calTo,
      "validation",
      opts.valFrom ?? iso(valFrom),
      opts.valTo ?? iso(valTo),
      valFrom,
      valTo,
      "the detector would be tuned on the rows that calibrate it",
    );
  } else if (slice) {
    calFrom = tailOfTraining(DEFAULT_CALIBRATION_SHARE, "calibration slice");
    calTo = trainTo;
    trainTo = calFrom - 1;
  }
  const train = buildDataset(series, history, clock, trainFrom, trainTo);
  const val = buildDataset(series, history, clock, valFrom, valTo);
  const cal = slice ? buildDataset(series, history, clock, calFrom, calTo) : null;
  let model: ValidatorModel;
  let trainReport: TrainReport | null = null;
  const t0 = Date.now();
  if (loaded) {
    model = loaded;
  } else {
    const r = await trainValidatorModel(
      train,
      val,
      { file: opts.data, zone: clock.name },
      { preset: opts.preset, log: opts.log, ...opts.train, ...(cal ? { calibration: cal } : {}) },
    );
    model = r.model;
    trainReport = r.report;
  }
  const trainMs = Date.now() - t0;
  if (opts.modelOut) saveModel(opts.modelOut, model);
  return {
    series,
    clock,
    history,
    model,
    train,
    val,
    cal,
    ranges: { trainFrom, trainTo, valFrom, valTo, calFrom, calTo },
    trainReport,
    trainMs,
  };
}

export interface ValidationRunOptions extends ModelOptions {
  testFrom: string;
  testTo: string;
  /** Seed of the anomaly injection into the test range; none when undefined. */
  inject?: number;
  injectOptions?: Partial<InjectOptions>;
  k?: number;
  threshold?: number;
  validator?: ValidatorOptions;
  /** Rolling refit (default weekly on the trailing year; `everyDays: 0` trains once). */
  refit?: RefitOptions;
}

export interface ModelScore {
  mape: number;
  rmse: number;
  trainMs: number;
}

/** Detection quality of one configuration on the same test readings. */
export interface DetectionScore {
  flagged: number;
  precision: number | null;
  recall: number | null;
}

/** The JSON written by `grid:validate` (the keys the issue fixes, plus detail). */
export interface ValidationReport {
  rows: {
    train: number;
    validation: number;
    /** Rows of the calibration slice (0: the validation split calibrated). */
    calibration: number;
    test: number;
    skipped: number;
    /** Rows in the ranges left out because their 24 h / 168 h lags fall outside the data or into a long gap. */
    noHistory: number;
    gaps: Gap[];
    skippedRows: SkippedRow[];
  };
  factors: FactorReport[];
  models: {
    SVR: ModelScore & { params: ValidatorModel["svr"]["params"]; supportVectors: number; fitRows: number };
    ELM: (ModelScore & { params: NonNullable<ValidatorModel["elm"]>["params"] }) | null;
    seasonalNaive: ModelScore;
  };
  /**
   * Issue 14's detection metrics on the injected test range (null without --inject); cleanFalseAlarmsPerDay is
   * measured in the same command on the same range without injection.
   */
  detection: DetectionMetrics | null;
  /** Point counts of the injected run (pre-issue-14 detail: point recall is mostly a drift-timeliness figure). */
  anomalies: AnomalyReport;
  flagged: FlaggedReading[];
  /** What the rolling refit cost: in the forecast scores, and in the detection runs on the validated history. */
  refit: { options: RefitOptions; forecast: RefitCost; detection: RefitCost };
  detector: {
    forecaster: ForecasterName;
    k: number;
    threshold: number | null;
    oneStep: boolean;
    /** The level check's and the CUSUM's operating point (null: the rule is off). */
    levelK: number | null;
    cusumH: number | null;
    cusumK: number | null;
    innovationScaleMax: number;
    sdRes: number;
    sdResOneStep: number;
    rho1h: number;
    /** The other forecasters (and the plain, literal rule) on the same readings, for comparison. */
    alternatives: Record<string, DetectionScore>;
  };
  throughput: { checks: number; checkMs: number; checksPerSecond: number };
  training: TrainReport | null;
  ranges: Record<string, string>;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Forecasts of each test row by the model in force at its time (the base model before the first refit). */
export function scheduledForecasts(
  base: ValidatorModel,
  schedule: ModelSchedule,
  rows: Dataset,
  which: ForecasterName,
): Float64Array {
  const out = new Float64Array(rows.n);
  let fc = new Forecaster(base);
  let next = 0;
  for (let i = 0; i < rows.n; i++) {
    while (next < schedule.length && schedule[next].from <= rows.timestamps[i])
      fc = new Forecaster(schedule[next++].model);
    out[i] = fc.forecast(rows.x, i * N_FACTORS, which);
  }
  return out;
}

/** Both ends of an optional range, or neither; parsed on the clock (`*To` inclusive). */
function givenRange(
  flag: string,
  from: string | undefined,
  to: string | undefined,
  clock: LocalClock,
): [number, number] | null {
  if (!from && !to) return null;
  if (!from || !to) throw new Error(`give both --${flag}-from and --${flag}-to, or neither`);
  const a = parseLocalDate(from, clock);
  const b = parseLocalDate(to, clock, true);
  if (!(b > a)) throw new Error(`--${flag}-to (${to}) must be after --${flag}-from`);
  return [a, b];
}

/** Throws when two inclusive ranges share an instant, naming both as the user gave them. */
export function refuseOverlap(
  nameA: string,
  fromA: string,
  toA: string,
  a0: number,
  a1: number,
  nameB: string,
  fromB: string,
  toB: string,
  b0: number,
  b1: number,
  why = `the ${nameB} figures would be measured on rows the model was fitted on`,
): void {
  if (a0 <= b1 && b0 <= a1) {
    throw new Error(
      `the ${nameA} range (${fromA} .. ${toA}) overlaps the ${nameB} range (${fromB} .. ${toB}): ${why}; give disjoint ranges`,
    );
  }
}

/** Trains (or loads) the validator, scores the forecasters on the test range and runs detection there. */
export async function runValidation(opts: ValidationRunOptions): Promise<ValidationReport> {
  const p = await prepare(opts);
  const testFrom = parseLocalDate(opts.testFrom, p.clock);
  const testTo = parseLocalDate(opts.testTo, p.clock, true);
  if (!(testTo > testFrom)) throw new Error(`--test-to (${opts.testTo}) must be after --test-from`);
  refuseOverlap(
    "training",
    opts.trainFrom,
    opts.trainTo,
    p.ranges.trainFrom,
    p.ranges.trainTo,
    "test",
    opts.testFrom,
    opts.testTo,
    testFrom,
    testTo,
  );
  const [vf, vt] = [opts.valFrom ?? iso(p.ranges.valFrom), opts.valTo ?? iso(p.ranges.valTo)];
  refuseOverlap(
    "validation",
    vf,
    vt,
    p.ranges.valFrom,
    p.ranges.valTo,
    "test",
    opts.testFrom,
    opts.testTo,
    testFrom,
    testTo,
  );
  if (p.cal) {
    refuseOverlap(
      "calibration",
      opts.calFrom ?? iso(p.ranges.calFrom),
      opts.calTo ?? iso(p.ranges.calTo),
      p.ranges.calFrom,
      p.ranges.calTo,
      "test",
      opts.testFrom,
      opts.testTo,
      testFrom,
      testTo,
    );
  }
  const test = buildDataset(p.series, p.history, p.clock, testFrom, testTo);
  if (test.n === 0) throw new Error(`no test rows with lag history between ${opts.testFrom} and ${opts.testTo}`);
  const refit = opts.refit ?? DEFAULT_REFIT;
  // Forecast scores: the models a rolling refit on the file's rows uses, each on its own week.
  const { schedule, cost: forecastCost } = await refitSchedule(p.model, p.series, testFrom, testTo, refit);
  const score = (which: ForecasterName, trainMs: number): ModelScore => {
    const pred = scheduledForecasts(p.model, schedule, test, which);
    return { mape: mape(test.y, pred), rmse: rmse(test.y, pred), trainMs };
  };
  const tr = p.trainReport;
  const validatorOptions: ValidatorOptions = { k: opts.k, threshold: opts.threshold, ...opts.validator };
  const stream = (v: ValidatorOptions, injectSeed: number | undefined, r: RefitOptions | ModelSchedule) =>
    streamValidate(p.model, p.series, testFrom, testTo, {
      injectSeed,
      inject: opts.injectOptions,
      validator: v,
      refit: r,
    });
  // The injected run refits on what it validated (missed faults poison later fits, as in real life).
  const main = await stream(validatorOptions, opts.inject, refit);
  let detection: DetectionMetrics | null = null;
  if (main.detection) {
    const clean = await stream(validatorOptions, undefined, refit);
    const days = (testTo - testFrom + 1) / 86_400_000;
    const flags = clean.results.filter((x) => !x.ok).length;
    detection = { ...main.detection, cleanFalseAlarmsPerDay: flags / days };
  }
  const alternatives: Record<string, DetectionScore> = {};
  const alt = async (name: string, v: ValidatorOptions): Promise<void> => {
    const r = (await stream({ ...validatorOptions, ...v }, opts.inject, schedule)).report;
    alternatives[name] = { flagged: r.flagged, precision: r.precision, recall: r.recall };
  };
  for (const which of FORECASTERS) {
    if (p.model.residuals[which]) await alt(which, { forecaster: which });
  }
  await alt("svrPlainRule", PLAIN_RULE);
  const which = validatorOptions.forecaster ?? "svr";
  const stats = p.model.residuals[which];
  return {
    rows: {
      train: p.train.n,
      validation: p.val.n,
      calibration: p.cal?.n ?? 0,
      test: test.n,
      skipped: p.series.skipped.length,
      noHistory: p.train.noHistory + p.val.noHistory + (p.cal?.noHistory ?? 0) + test.noHistory,
      gaps: p.series.gaps,
      skippedRows: p.series.skipped,
    },
    factors: p.model.factors,
    models: {
      SVR: {
        ...score("svr", tr ? tr.svr.finalFit.trainMs : 0),
        params: p.model.svr.params,
        supportVectors: p.model.svr.coef.length,
        fitRows: p.model.trainedOn.rows,
      },
      ELM: p.model.elm ? { ...score("elm", tr?.elm?.trainMs ?? 0), params: p.model.elm.params } : null,
      seasonalNaive: score("seasonalNaive", 0),
    },
    detection,
    anomalies: main.report,
    flagged: main.flagged,
    refit: { options: refit, forecast: forecastCost, detection: main.refit },
    detector: {
      forecaster: which,
      k: validatorOptions.k ?? DEFAULT_K,
      threshold: validatorOptions.threshold ?? null,
      oneStep: validatorOptions.oneStep ?? true,
      levelK: finiteOrNull(validatorOptions.levelK ?? DEFAULT_LEVEL_K),
      cusumH: finiteOrNull(validatorOptions.cusumH ?? DEFAULT_CUSUM_H),
      cusumK: finiteOrNull(validatorOptions.cusumK ?? DEFAULT_CUSUM_K),
      innovationScaleMax: validatorOptions.innovationScaleMax ?? DEFAULT_INNOVATION_SCALE_MAX,
      sdRes: stats?.sd ?? NaN,
      sdResOneStep: stats?.sdStep ?? NaN,
      rho1h: stats?.rho1h ?? NaN,
      alternatives,
    },
    throughput: {
      checks: main.results.length,
      checkMs: main.checkMs,
      checksPerSecond: main.results.length / (main.checkMs / 1000),
    },
    training: tr,
    ranges: {
      trainFrom: iso(p.ranges.trainFrom),
      trainTo: iso(p.ranges.trainTo),
      valFrom: iso(p.ranges.valFrom),
      valTo: iso(p.ranges.valTo),
      ...(p.cal ? { calFrom: iso(p.ranges.calFrom), calTo: iso(p.ranges.calTo) } : {}),
      testFrom: iso(testFrom),
      testTo: iso(testTo),
    },
  };
}
