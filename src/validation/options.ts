import { z } from "zod";
import { DEFAULT_ZONE, ZONE_NAMES, type ZoneName } from "./clock";
import { FACTOR_SCREENS, type FactorScreen } from "./dataset";

/**
 * Options of grid:validate and grid:forecast, their defaults and their validation. Free of heavy
 * imports (no libsvm, no vega) so the task files can load it at startup.
 */
export const DEFAULT_DATA = "data/load/gefcom2014e_2012_2013.csv";
export const DEFAULT_PRESET = "full";
export const PRESETS = ["full", "fast"] as const;
export const DEFAULT_FORECAST_OUT = "out/validation/forecast-week.svg";

/** Options shared by both tasks: data, ranges, model source. */
export interface CommonTaskOptions {
  data: string;
  trainFrom: string;
  trainTo: string;
  valFrom?: string;
  valTo?: string;
  /** Calibration slice held out from fitting and tuning (default: the last 25% of the training range). */
  calFrom?: string;
  calTo?: string;
  zone: ZoneName;
  preset: (typeof PRESETS)[number];
  /** Load this saved model instead of training. */
  model?: string;
  /** Save the trained model here. */
  saveModel?: string;
  hMin?: number;
  /** Factor screen: nonlinear (default) or pearson (P003). */
  screen?: FactorScreen;
  k?: number;
  threshold?: number;
  /** Operating point of the level check and the CUSUM (docs/validation.md, "Operating points"). */
  levelK?: number;
  cusumH?: number;
  cusumK?: number;
  /** Widest the one-step band may grow with the stream's own one-hour errors (1: calibrated sigma only). */
  innovationScaleMax?: number;
  /** The literal ALGORITHMS.md 9.4 rule only: plain forecast, k * sd_res, no extra checks. */
  plainRule: boolean;
  /** Seconds the hyper-parameter search may take. */
  searchBudget?: number;
  skipMalformed: boolean;
  inject?: number;
}

export interface ValidateTaskOptions extends CommonTaskOptions {
  testFrom: string;
  testTo: string;
  /** Days between rolling refits over the test range (0: train once). */
  refitDays?: number;
  /** Trailing days each refit trains on. */
  refitWindow?: number;
  /** JSON report path; printed to stdout when absent. */
  out?: string;
}

export interface ForecastTaskOptions extends CommonTaskOptions {
  week: string;
  out: string;
}

const common = {
  data: z.string().min(1),
  trainFrom: z.string().min(1),
  trainTo: z.string().min(1),
  valFrom: z.string().min(1).optional(),
  valTo: z.string().min(1).optional(),
  calFrom: z.string().min(1).optional(),
  calTo: z.string().min(1).optional(),
  zone: z.enum(ZONE_NAMES as [ZoneName, ...ZoneName[]]),
  preset: z.enum(PRESETS),
  model: z.string().min(1).optional(),
  saveModel: z.string().min(1).optional(),
  hMin: z.number().min(0).max(1).optional(),
  screen: z.enum(FACTOR_SCREENS).optional(),
  k: z.number().positive().optional(),
  threshold: z.number().positive().optional(),
  levelK: z.number().positive().optional(),
  cusumH: z.number().positive().optional(),
  cusumK: z.number().positive().optional(),
  innovationScaleMax: z.number().min(1).optional(),
  plainRule: z.boolean(),
  searchBudget: z.number().positive().optional(),
  skipMalformed: z.boolean(),
  inject: z.number().int().nonnegative().optional(),
};

const ValidateSchema = z.strictObject({
  ...common,
  testFrom: z.string().min(1),
  testTo: z.string().min(1),
  refitDays: z.number().min(0).optional(),
  refitWindow: z.number().positive().optional(),
  out: z.string().min(1).optional(),
});

const ForecastSchema = z.strictObject({ ...common, week: z.string().min(1), out: z.string().min(1) });

export const COMMON_DEFAULTS = { data: DEFAULT_DATA, zone: DEFAULT_ZONE, preset: DEFAULT_PRESET } as const;

/** Hardhat passes unset optional params as undefined and flags as booleans; drop the undefined ones. */
function defined(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
}

function parse<T>(schema: z.ZodType<T>, args: Record<string, unknown>, task: string): T {
  const r = schema.safeParse(defined(args));
  if (!r.success) throw new Error(`${task}: invalid options: ${z.prettifyError(r.error)}`);
  return r.data;
}

export function parseValidateArgs(args: Record<string, unknown>): ValidateTaskOptions {
  return parse(ValidateSchema, args, "grid:validate") as ValidateTaskOptions;
}

export function parseForecastArgs(args: Record<string, unknown>): ForecastTaskOptions {
  return parse(ForecastSchema, args, "grid:forecast") as ForecastTaskOptions;
}
