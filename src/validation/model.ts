import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { ZONE_NAMES, type ZoneName } from "./clock";
import { FACTORS, N_FACTORS, type Factor } from "./features";
import { ElmPredictor, type ElmModel, type ElmParams } from "./elm";
import { SvrPredictor, type SvrModel, type SvrParams } from "./svr";
import type { FactorReport } from "./dataset";

export const MODEL_FORMAT = "gridledger-validator/1";

/** Standardisation fitted on a model's own training rows only. */
export interface Scaling {
  /** Per kept factor. */
  mean: number[];
  sd: number[];
  targetMean: number;
  targetSd: number;
}

/**
 * Out-of-sample residuals `actual - forecast` of one forecaster on the validation split: their
 * spread `sd` (ALGORITHMS.md 9.4's sd_res for the plain forecast), the lag-1 h autocorrelation
 * `rho1h`, and the spread of the one-hour residual change `e_t - rho e_(t-1h)` overall (`sdStep`,
 * the sd_res of the validator's one-step forecast, see validator.ts) and per local hour of day.
 */
export interface ResidualStats {
  mean: number;
  sd: number;
  rho1h: number;
  sdStep: number;
  sdStepByHour: number[];
  n: number;
}

/** Forecasters a validator can run on. */
export const FORECASTERS = ["svr", "elm", "seasonalNaive"] as const;
export type ForecasterName = (typeof FORECASTERS)[number];

/** A trained validator, as saved to and loaded from JSON. */
export interface ValidatorModel {
  format: typeof MODEL_FORMAT;
  zone: ZoneName;
  factors: FactorReport[];
  scaling: Scaling;
  svr: SvrModel & { params: SvrParams };
  elm: (ElmModel & { params: ElmParams }) | null;
  residuals: { svr: ResidualStats; elm: ResidualStats | null; seasonalNaive: ResidualStats };
  /** Provenance: data file and ranges (ISO) the model was fitted and calibrated on. */
  trainedOn: { file: string; from: string; to: string; rows: number; validationRows: number; preset: string };
}

const num = z.number().refine(Number.isFinite, "must be finite");
const residualSchema = z.object({
  mean: num,
  sd: num.positive(),
  rho1h: num.min(0).max(0.995),
  sdStep: num.positive(),
  sdStepByHour: z.array(num.positive()).length(24),
  n: z.number().int().positive(),
});
const modelSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  zone: z.enum(ZONE_NAMES as [ZoneName, ...ZoneName[]]),
  factors: z
    .array(
      z.object({
        name: z.enum(FACTORS),
        h: num.nullable(),
        kept: z.boolean(),
        score: num.nullable().optional(),
        rule: z.enum(["calendar", "pearson", "degreeDays"]).optional(),
      }),
    )
    .length(N_FACTORS),
  scaling: z.object({ mean: z.array(num), sd: z.array(num.positive()), targetMean: num, targetSd: num.positive() }),
  svr: z.object({
    d: z.number().int().positive(),
    gamma: num.positive(),
    bias: num,
    sv: z.array(num),
    coef: z.array(num),
    params: z.object({ C: num.positive(), epsilon: num.nonnegative(), gamma: num.positive() }),
  }),
  elm: z
    .object({
      d: z.number().int().positive(),
      hidden: z.number().int().positive(),
      w: z.array(num),
      c: z.array(num),
      beta: z.array(num),
      params: z.object({ hidden: z.number().int().positive(), C: num.positive(), seed: z.number().int() }),
    })
    .nullable(),
  residuals: z.object({ svr: residualSchema, elm: residualSchema.nullable(), seasonalNaive: residualSchema }),
  trainedOn: z.object({
    file: z.string(),
    from: z.string(),
    to: z.string(),
    rows: z.number().int(),
    validationRows: z.number().int(),
    preset: z.string(),
  }),
});

/** Checks a parsed JSON value against the model schema and its internal sizes; `where` names the source. */
export function parseModel(value: unknown, where: string): ValidatorModel {
  const r = modelSchema.safeParse(value);
  if (!r.success) throw new Error(`${where}: not a validator model: ${z.prettifyError(r.error)}`);
  const m = r.data as ValidatorModel;
  const kept = m.factors.filter((f) => f.kept).length;
  const bad =
    m.scaling.mean.length !== kept ||
    m.scaling.sd.length !== kept ||
    m.svr.d !== kept ||
    m.svr.sv.length !== m.svr.coef.length * kept ||
    (m.elm !== null && (m.elm.w.length !== m.elm.hidden * kept || m.elm.beta.length !== m.elm.hidden));
  if (bad) throw new Error(`${where}: model sizes do not match its ${kept} kept factors`);
  return m;
}

export function saveModel(path: string, model: ValidatorModel): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(model));
}

export function loadModel(path: string): ValidatorModel {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`${path}: cannot read model JSON: ${(err as Error).message}`);
  }
  return parseModel(value, path);
}

/** Names of the kept factors, in column order. */
export function keptFactors(factors: FactorReport[]): Factor[] {
  return factors.filter((f) => f.kept).map((f) => f.name);
}

const LAG168 = FACTORS.indexOf("lag168");

/**
 * Turns raw factor rows (all N_FACTORS candidates) into forecasts in load units: selects the kept
 * columns, applies the training scaling, evaluates SVR or ELM and undoes the target scaling. The
 * seasonal-naive forecast is the lag-168 h factor itself.
 */
export class Forecaster {
  readonly svr: SvrPredictor;
  readonly elm: ElmPredictor | null;
  private readonly cols: number[];
  private readonly buf: Float64Array;

  constructor(readonly model: ValidatorModel) {
    this.cols = model.factors.flatMap((f, j) => (f.kept ? [j] : []));
    this.buf = new Float64Array(this.cols.length);
    this.svr = new SvrPredictor(model.svr);
    this.elm = model.elm ? new ElmPredictor(model.elm) : null;
  }

  /** Which candidate factors a forecaster needs (so callers can skip history lookups). */
  needed(which: ForecasterName): boolean[] {
    return this.model.factors.map((f, j) => (which === "seasonalNaive" ? j === LAG168 : f.kept));
  }

  /** Scales the kept factors of the raw row at `raw[offset..]` into `out` (length = kept count). */
  scaleRow(raw: ArrayLike<number>, offset: number, out: Float64Array): void {
    const { mean, sd } = this.model.scaling;
    for (let k = 0; k < this.cols.length; k++) out[k] = (raw[offset + this.cols[k]] - mean[k]) / sd[k];
  }

  /** Forecast (load units) of one raw factor row; NaN for "elm" when the model has no ELM. */
  forecast(raw: ArrayLike<number>, offset: number, which: ForecasterName): number {
    if (which === "seasonalNaive") return raw[offset + LAG168];
    const predictor = which === "svr" ? this.svr : this.elm;
    if (!predictor) return NaN;
    this.scaleRow(raw, offset, this.buf);
    return predictor.predict(this.buf) * this.model.scaling.targetSd + this.model.scaling.targetMean;
  }

  /** Forecasts for every row of a raw row-major matrix (N_FACTORS columns). */
  forecastRows(raw: Float64Array, n: number, which: ForecasterName): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.forecast(raw, i * N_FACTORS, which);
    return out;
  }
}
