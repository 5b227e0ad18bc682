import { FACTORS, N_FACTORS } from "./features";
import { DEFAULT_H_MIN, selectFactors, type Dataset, type FactorReport, type FactorScreen } from "./dataset";
import { trainElm, ElmPredictor, type ElmParams } from "./elm";
import { MODEL_FORMAT, type ResidualStats, type Scaling, type ValidatorModel } from "./model";
import { mape, mean, sd } from "./stats";
import { residualStats } from "./residuals";
import { SvrPredictor, trainSvr, type SvrModel, type SvrParams } from "./svr";
import { localClock, type ZoneName } from "./clock";

/** Hyper-parameter grid for the SVR (targets and features are standardised, so these are unitless). */
export interface SvrGrid {
  C: number[];
  epsilon: number[];
  gamma: number[];
}
export const DEFAULT_SVR_GRID: SvrGrid = { C: [1, 10, 100], epsilon: [0.05, 0.1, 0.2], gamma: [0.05, 0.2, 0.8] };
/** Rows (evenly spaced over the training split) that each grid point is fitted on. */
export const DEFAULT_SEARCH_ROWS = 4000;
/** The search stops starting new grid points after this long. */
export const DEFAULT_SEARCH_BUDGET_MS = 240_000;
/**
 * Upper bound on the rows of a fit (an evenly spaced subsample above it). On GEFCom the validation
 * MAPE is flat from about 4,000 rows on (docs/validation.md), while fit time grows about
 * quadratically and prediction cost linearly with the support vectors, which grow with the rows.
 */
export const DEFAULT_MAX_TRAIN_ROWS = 6000;
/**
 * Among grid points whose validation MAPE is within this relative margin of the best, the one with
 * the fewest support vectors wins: the margin is far below the split-to-split noise and the
 * validator's speed is proportional to the support vectors.
 */
export const DEFAULT_MAPE_TOLERANCE = 0.02;

export interface ElmGrid {
  hidden: number[];
  C: number[];
}
export const DEFAULT_ELM_GRID: ElmGrid = { hidden: [100, 300], C: [1, 10, 100, 1000] };
export const DEFAULT_SEED = 1;

/**
 * The pipeline's fast preset: the SVR and ELM parameters the default search picked fitting all of 2012 and
 * scoring the first half of 2013 with the non-linear factor screen (docs/validation.md; with 2012-Q4 held out as
 * the calibration slice it picks C 100), no search, at most 3,000 evenly spaced rows.
 */
export const FAST_PRESET = {
  svr: { C: 10, epsilon: 0.1, gamma: 0.05 } as SvrParams,
  elmGrid: { hidden: [300], C: [10] } as ElmGrid,
  maxTrainRows: 3000,
};

export type Preset = "full" | "fast";

export interface TrainOptions {
  hMin?: number;
  /** Factor screen (default "nonlinear": calendar always, degree-day terms for temperature; "pearson": P003). */
  screen?: FactorScreen;
  /** "full": grid search, fits of up to maxTrainRows rows; "fast": FAST_PRESET (seconds, about as accurate). */
  preset?: Preset;
  /** Skip the search and use these SVR parameters. */
  svrParams?: SvrParams;
  grid?: SvrGrid;
  searchRows?: number;
  searchBudgetMs?: number;
  maxTrainRows?: number;
  mapeTolerance?: number;
  /** Fit and report the ELM too (default true). */
  elm?: boolean;
  elmGrid?: ElmGrid;
  seed?: number;
  /** Refit the final model on training + validation rows (default true). */
  refitOnValidation?: boolean;
  /**
   * Calibration slice held out from the fit and from the tuning: the residual calibration (`sd_res`, `rho`,
   * per-hour sigma) comes from these rows instead of the validation split, so whatever is tuned on validation
   * (the SVR search here, the detector settings in bench:validation) is judged against an out-of-sample
   * calibration. The returned model is refitted on these rows too. Absent: validation calibrates (issue 4).
   */
  calibration?: Dataset;
  cacheSizeMb?: number;
  log?: (message: string) => void;
}

export interface SearchTrial {
  params: SvrParams;
  validationMape: number;
  nSv: number;
  trainMs: number;
}

export interface ElmTrial {
  params: ElmParams;
  validationMape: number;
  trainMs: number;
}

export interface TrainReport {
  factors: FactorReport[];
  preset: Preset;
  search: { rows: number; trials: SearchTrial[]; notRun: number; ms: number; budgetMs: number };
  svr: {
    params: SvrParams;
    /** Fit on the training split whose validation residuals calibrate `residuals`. */
    calibrationFit: { rows: number; trainMs: number; nSv: number; validationMape: number; calibrationRows: number };
    /** The model that is returned (training + validation rows unless refit is off). */
    finalFit: { rows: number; trainMs: number; nSv: number };
  };
  elm: { params: ElmParams; trials: ElmTrial[]; trainMs: number; validationMape: number } | null;
  residuals: ValidatorModel["residuals"];
}

export interface TrainMeta {
  file: string;
  zone: ZoneName;
}

/** The trial with the fewest support vectors among those within `tolerance` of the best MAPE. */
export function pickTrial(trials: SearchTrial[], tolerance: number): SearchTrial {
  const best = Math.min(...trials.map((t) => t.validationMape));
  const near = trials.filter((t) => t.validationMape <= best * (1 + tolerance));
  return near.reduce((a, b) => (b.nSv < a.nSv || (b.nSv === a.nSv && b.validationMape < a.validationMape) ? b : a));
}

/** Indices of `k` rows spread evenly over `n` (all rows when `k >= n`). */
export function evenSample(n: number, k: number): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: k }, (_, i) => Math.floor((i * n) / k));
}

function fitScaling(d: Dataset, cols: number[], rows: number[]): Scaling {
  const pick = (j: number): number[] => rows.map((i) => d.x[i * N_FACTORS + j]);
  const ys = rows.map((i) => d.y[i]);
  return {
    mean: cols.map((j) => mean(pick(j))),
    sd: cols.map((j) => sd(pick(j)) || 1),
    targetMean: mean(ys),
    targetSd: sd(ys) || 1,
  };
}

/** Scaled kept columns (row-major) and scaled targets of the given rows. */
function design(d: Dataset, cols: number[], rows: number[], s: Scaling): { x: Float64Array; y: Float64Array } {
  const k = cols.length;
  const x = new Float64Array(rows.length * k);
  const y = new Float64Array(rows.length);
  rows.forEach((i, r) => {
    for (let c = 0; c < k; c++) x[r * k + c] = (d.x[i * N_FACTORS + cols[c]] - s.mean[c]) / s.sd[c];
    y[r] = (d.y[i] - s.targetMean) / s.targetSd;
  });
  return { x, y };
}

function unscale(pred: Float64Array, s: Scaling): Float64Array {
  return pred.map((p) => p * s.targetSd + s.targetMean);
}

/** Concatenates two datasets (training then validation rows). */
function concat(a: Dataset, b: Dataset): Dataset {
  const cat = (p: Float64Array, q: Float64Array): Float64Array => {
    const out = new Float64Array(p.length + q.length);
    out.set(p);
    out.set(q, p.length);
    return out;
  };
  return {
    x: cat(a.x, b.x),
    y: cat(a.y, b.y),
    timestamps: cat(a.timestamps, b.timestamps),
    n: a.n + b.n,
    noHistory: 0,
  };
}

/** Grid points ordered cheapest first (small C and gamma, large epsilon), so a cut-off keeps the cheap ones. */
function gridPoints(grid: SvrGrid): SvrParams[] {
  const pts: SvrParams[] = [];
  for (const C of grid.C)
    for (const gamma of grid.gamma) for (const epsilon of grid.epsilon) pts.push({ C, epsilon, gamma });
  return pts.sort((p, q) => p.C * p.gamma - q.C * q.gamma || q.epsilon - p.epsilon);
}

/**
 * Trains the validator of ALGORITHMS.md section 9: factor screen (non-linear by default, or Pearson) and scaling on the
 * training split, SVR hyper-parameters by validation MAPE (small grid, subsampled rows, time
 * budget), residual calibration on validation, then the final fit. Validation rows never influence
 * the scaling of the model whose residuals calibrate `sd_res`.
 */
export async function trainValidatorModel(
  train: Dataset,
  val: Dataset,
  meta: TrainMeta,
  options: TrainOptions = {},
): Promise<{ model: ValidatorModel; report: TrainReport }> {
  const preset = options.preset ?? "full";
  const fast = preset === "fast";
  const log = options.log ?? (() => undefined);
  if (train.n < 10 || val.n < 10) {
    throw new Error(`not enough rows to train (${train.n} training, ${val.n} validation rows with full lag history)`);
  }
  const calSet = options.calibration ?? val;
  if (calSet.n < 10) throw new Error(`not enough calibration rows (${calSet.n} with full lag history)`);
  const factors = selectFactors(train, options.hMin ?? DEFAULT_H_MIN, options.screen);
  const cols = factors.flatMap((f, j) => (f.kept ? [j] : []));
  if (cols.length === 0) {
    throw new Error(`no factor reaches |h| >= ${options.hMin ?? DEFAULT_H_MIN}; lower --h-min`);
  }
  const maxRows = options.maxTrainRows ?? (fast ? FAST_PRESET.maxTrainRows : DEFAULT_MAX_TRAIN_ROWS);
  const trainRows = evenSample(train.n, maxRows);
  const scaling = fitScaling(train, cols, trainRows);
  const valAll = Array.from({ length: val.n }, (_, i) => i);
  const valX = design(val, cols, valAll, scaling).x;
  const svrOpts = { cacheSizeMb: options.cacheSizeMb };

  // 1. Hyper-parameters on the validation split.
  const budgetMs = options.searchBudgetMs ?? DEFAULT_SEARCH_BUDGET_MS;
  const searchRows = evenSample(train.n, options.searchRows ?? DEFAULT_SEARCH_ROWS);
  const trials: SearchTrial[] = [];
  let params = options.svrParams ?? (fast ? FAST_PRESET.svr : undefined);
  const points = params ? [] : gridPoints(options.grid ?? DEFAULT_SVR_GRID);
  const searchStart = Date.now();
  if (points.length > 0) {
    const { x, y } = design(train, cols, searchRows, scaling);
    for (const p of points) {
      if (Date.now() - searchStart > budgetMs) break;
      const t0 = Date.now();
      const m = await trainSvr(x, searchRows.length, cols.length, y, p, svrOpts);
      const trainMs = Date.now() - t0;
      const pred = unscale(new SvrPredictor(m).predictRows(valX, val.n), scaling);
      trials.push({ params: p, validationMape: mape(val.y, pred), nSv: m.coef.length, trainMs });
      log(`search C=${p.C} eps=${p.epsilon} gamma=${p.gamma}: MAPE ${mape(val.y, pred).toFixed(3)}% (${trainMs} ms)`);
    }
    params = pickTrial(trials, options.mapeTolerance ?? DEFAULT_MAPE_TOLERANCE).params;
  }
  if (!params) throw new Error("no SVR parameters: the search ran no grid point within its budget");
  const searchMs = Date.now() - searchStart;

  // 2. Calibration fit on the training split; residuals on the calibration slice (validation when none) give
  // sd_res and rho.
  const cal = design(train, cols, trainRows, scaling);
  let t0 = Date.now();
  const calModel = await trainSvr(cal.x, trainRows.length, cols.length, cal.y, params, svrOpts);
  const calMs = Date.now() - t0;
  const valPred = unscale(new SvrPredictor(calModel).predictRows(valX, val.n), scaling);
  const calX =
    calSet === val
      ? valX
      : design(
          calSet,
          cols,
          Array.from({ length: calSet.n }, (_, i) => i),
          scaling,
        ).x;
  const residualsOf = (pred: ArrayLike<number>): ResidualStats =>
    residualStats(
      calSet.timestamps,
      calSet.y.map((v, i) => v - pred[i]),
      localClock(meta.zone),
    );
  const lag168 = FACTORS.indexOf("lag168");
  const residuals: ValidatorModel["residuals"] = {
    svr: residualsOf(unscale(new SvrPredictor(calModel).predictRows(calX, calSet.n), scaling)),
    elm: null,
    seasonalNaive: residualsOf(calSet.y.map((_, i) => calSet.x[i * N_FACTORS + lag168])),
  };
  log(`calibration fit: ${trainRows.length} rows in ${calMs} ms, validation MAPE ${mape(val.y, valPred).toFixed(3)}%`);

  // 3. ELM, for comparison (its own small grid on the same split).
  const wantElm = options.elm ?? true;
  const seed = options.seed ?? DEFAULT_SEED;
  let elmReport: TrainReport["elm"] = null;
  let elmParams: ElmParams | null = null;
  if (wantElm) {
    const grid = options.elmGrid ?? (fast ? FAST_PRESET.elmGrid : DEFAULT_ELM_GRID);
    const elmTrials: ElmTrial[] = [];
    for (const hidden of grid.hidden) {
      for (const C of grid.C) {
        const p = { hidden, C, seed };
        const t1 = Date.now();
        const e = trainElm(cal.x, trainRows.length, cols.length, cal.y, p);
        const ms = Date.now() - t1;
        const elmPredictor = new ElmPredictor(e);
        const pred = unscale(elmPredictor.predictRows(valX, val.n), scaling);
        elmTrials.push({ params: p, validationMape: mape(val.y, pred), trainMs: ms });
        if (elmTrials.every((t) => t.validationMape >= mape(val.y, pred))) {
          residuals.elm = residualsOf(unscale(elmPredictor.predictRows(calX, calSet.n), scaling));
        }
      }
    }
    const best = elmTrials.reduce((b, t) => (t.validationMape < b.validationMape ? t : b));
    elmParams = best.params;
    elmReport = { params: best.params, trials: elmTrials, trainMs: 0, validationMape: best.validationMape };
  }

  // 4. Final fit (training + calibration + validation rows by default), with its own scaling.
  // The calibration slice joins the final fit whether or not validation does: it tunes nothing.
  const withCal = options.calibration ? concat(train, options.calibration) : train;
  const onValidation = options.refitOnValidation ?? true;
  const refit = onValidation || withCal !== train;
  const all = onValidation ? concat(withCal, val) : withCal;
  const finalRows = evenSample(all.n, maxRows);
  const finalScaling = refit ? fitScaling(all, cols, finalRows) : scaling;
  let finalModel: SvrModel = calModel;
  let finalMs = calMs;
  const fin = refit ? design(all, cols, finalRows, finalScaling) : cal;
  if (refit) {
    t0 = Date.now();
    finalModel = await trainSvr(fin.x, finalRows.length, cols.length, fin.y, params, svrOpts);
    finalMs = Date.now() - t0;
    log(`final fit: ${finalRows.length} rows in ${finalMs} ms, ${finalModel.coef.length} support vectors`);
  }
  let elm: ValidatorModel["elm"] = null;
  if (elmParams && elmReport) {
    t0 = Date.now();
    elm = { ...trainElm(fin.x, finalRows.length, cols.length, fin.y, elmParams), params: elmParams };
    elmReport.trainMs = Date.now() - t0;
  }

  const iso = (ms: number): string => new Date(ms).toISOString();
  const model: ValidatorModel = {
    format: MODEL_FORMAT,
    zone: meta.zone,
    factors,
    scaling: finalScaling,
    svr: { ...finalModel, params },
    elm,
    residuals,
    trainedOn: {
      file: meta.file,
      from: iso(all.timestamps[0]),
      to: iso(all.timestamps[all.n - 1]),
      rows: finalRows.length,
      validationRows: val.n,
      preset,
    },
  };
  return {
    model,
    report: {
      factors,
      preset,
      search: {
        rows: points.length ? searchRows.length : 0,
        trials,
        notRun: points.length - trials.length,
        ms: searchMs,
        budgetMs,
      },
      svr: {
        params,
        calibrationFit: {
          rows: trainRows.length,
          trainMs: calMs,
          nSv: calModel.coef.length,
          validationMape: mape(val.y, valPred),
          calibrationRows: calSet.n,
        },
        finalFit: { rows: finalRows.length, trainMs: finalMs, nSv: finalModel.coef.length },
      },
      elm: elmReport,
      residuals,
    },
  };
}

/**
 * Refits a model's SVR (and ELM) with its own hyper-parameters and kept factors on new rows, with a fresh
 * scaling; the residual calibration and factor screen are kept. The rolling refit (refit.ts) calls this.
 */
export async function refitModel(
  base: ValidatorModel,
  rows: Dataset,
  maxRows: number,
  options: { cacheSizeMb?: number } = {},
): Promise<{ model: ValidatorModel; ms: number; rows: number }> {
  if (rows.n < 10) throw new Error(`refit: only ${rows.n} rows with full lag history in the window`);
  const t0 = Date.now();
  const cols = base.factors.flatMap((f, j) => (f.kept ? [j] : []));
  const picked = evenSample(rows.n, maxRows);
  const scaling = fitScaling(rows, cols, picked);
  const { x, y } = design(rows, cols, picked, scaling);
  const svr = await trainSvr(x, picked.length, cols.length, y, base.svr.params, options);
  const elm = base.elm
    ? { ...trainElm(x, picked.length, cols.length, y, base.elm.params), params: base.elm.params }
    : null;
  const iso = (ms: number): string => new Date(ms).toISOString();
  const model: ValidatorModel = {
    ...base,
    scaling,
    svr: { ...svr, params: base.svr.params },
    elm,
    trainedOn: {
      ...base.trainedOn,
      from: iso(rows.timestamps[0]),
      to: iso(rows.timestamps[rows.n - 1]),
      rows: picked.length,
    },
  };
  return { model, ms: Date.now() - t0, rows: picked.length };
}
