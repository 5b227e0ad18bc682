/**
 * Reading validation before anchoring (ALGORITHMS.md section 9): the public API for the pipeline.
 *
 *   const { validator } = await openValidator({ modelPath: "out/validator.json" });
 *   const r = validator.check({ timestamp, value: reading / terminalScale, temperatureC, source: terminalId });
 *   if (!r.ok) quarantine(reading, r.reason, r.flaggedBy);
 *
 * Many terminals (pipeline, gateway): a ValidateStage per run, readings grouped by instant, peer check on
 * (docs/validation.md, "Pipeline and gateway"):
 *
 *   const stage = new ValidateStage({ model, series, startMs, peers: PeerConsensus.fromCase(grid, terminals) });
 *   for (const c of stage.checkReadings(periodReadings)) if (!c.result.ok) quarantine(c.reading, c.result);
 */
import { existsSync } from "node:fs";
import { DEFAULT_DATA } from "./options";
import { loadModel, saveModel, type ValidatorModel } from "./model";
import { LoadHistory } from "./history";
import { readLoadCsv, type LoadSeries } from "./series";
import { prepare } from "./run";
import type { Preset } from "./train";
import { StreamingValidator, type ValidatorOptions } from "./validator";

export { StreamingValidator, RULE_OF_REASON } from "./validator";
export type { CheckContext, CheckResult, FlagRule, Reading, ReasonCode, ValidatorOptions } from "./validator";
export { PeerConsensus, DEFAULT_PEER_OPTIONS } from "./peers";
export type { PeerOptions, PeerReading, PeerVerdict } from "./peers";
export { ValidateStage } from "./stage";
export type { CheckedReading, StageOptions, StageReading } from "./stage";
export { RollingRefit, DEFAULT_REFIT, NO_REFIT } from "./refit";
export type { RefitCost, RefitOptions } from "./refit";
export { loadModel, saveModel } from "./model";
export type { ValidatorModel } from "./model";
export { LoadHistory } from "./history";
export { readLoadCsv } from "./series";
export { runValidation } from "./run";
export { injectAnomalies } from "./inject";

/** Training range of the pipeline's default validator: 2012, validated on the first half of 2013. */
export const PIPELINE_DEFAULTS = {
  data: DEFAULT_DATA,
  trainFrom: "2012-01-01",
  trainTo: "2012-12-31",
  valFrom: "2013-01-01",
  valTo: "2013-06-30",
  preset: "fast" as Preset,
};

export interface OpenValidatorOptions {
  /** Load CSV whose rows train the model and serve as lag history (default: the GEFCom file). */
  data?: string;
  trainFrom?: string;
  trainTo?: string;
  valFrom?: string;
  valTo?: string;
  /** "fast" (default: seconds) or "full" (grid search: minutes). */
  preset?: Preset;
  /** Model cache: loaded when the file exists, written after training otherwise. */
  modelPath?: string;
  validator?: ValidatorOptions;
  log?: (message: string) => void;
}

export interface OpenedValidator {
  validator: StreamingValidator;
  model: ValidatorModel;
  series: LoadSeries;
  /** True when the model came from `modelPath`. */
  loaded: boolean;
  /** Time spent training or loading (ms). */
  ms: number;
}

/**
 * The pipeline's entry point: a validator trained once (fast preset) or loaded from a cached model
 * file, with the data file as lag history, so quarter-hour readings anywhere in it can be checked.
 */
export async function openValidator(opts: OpenValidatorOptions = {}): Promise<OpenedValidator> {
  const t0 = Date.now();
  const o = { ...PIPELINE_DEFAULTS, ...opts };
  if (o.modelPath && existsSync(o.modelPath)) {
    const model = loadModel(o.modelPath);
    const series = readLoadCsv(o.data);
    const validator = new StreamingValidator(model, LoadHistory.fromSeries(series), o.validator);
    return { validator, model, series, loaded: true, ms: Date.now() - t0 };
  }
  const p = await prepare({
    data: o.data,
    trainFrom: o.trainFrom,
    trainTo: o.trainTo,
    valFrom: o.valFrom,
    valTo: o.valTo,
    preset: o.preset,
    // As the pipeline: the validation split calibrates (nothing is tuned on it here).
    calibration: "validation",
    log: o.log,
  });
  if (o.modelPath) saveModel(o.modelPath, p.model);
  const validator = new StreamingValidator(p.model, p.history, o.validator);
  return { validator, model: p.model, series: p.series, loaded: false, ms: Date.now() - t0 };
}
