import { z } from "zod";
import { DEFAULT_VAR_SMOOTHING } from "./bayes";
import { CLUSTER_METHODS, ClusterMethod } from "./cluster-method";
import { DEFAULT_FEATURE_SET, FEATURE_SETS, FeatureSet } from "./features";
import { DEFAULT_NORMALISATION, NORMALISATIONS, Normalisation } from "./normalise";
import { DEFAULT_DAY_BOUNDARY, DayBoundary } from "./profiles";

/**
 * Options of grid:cluster and grid:classify, their defaults and their validation. Kept free of
 * heavy imports so the task files can load it at startup.
 */
export const DEFAULT_OUT_DIR = "out/governance";
export const DEFAULT_SEED = 1;
export const DEFAULT_K_RANGE = "2..8";
export const DEFAULT_METHOD: ClusterMethod = "kmeans";
export const DEFAULT_TEST_FRACTION = 0.3;

export interface ClusterOptions {
  /** CSV with a timestamp column and a known value column. */
  data: string;
  /** "2..8", "4" or "2,4,6". */
  k: string;
  method: ClusterMethod;
  /** Folder for the JSON and SVG. */
  out: string;
  /** Seeds the k-means restarts (PAM is deterministic). */
  seed: number;
  normalise: Normalisation;
  days: DayBoundary;
}

export const CLUSTER_DEFAULTS: Omit<ClusterOptions, "data"> = {
  k: DEFAULT_K_RANGE,
  method: DEFAULT_METHOD,
  out: DEFAULT_OUT_DIR,
  seed: DEFAULT_SEED,
  normalise: DEFAULT_NORMALISATION,
  days: DEFAULT_DAY_BOUNDARY,
};

export interface ClassifyOptions {
  data: string;
  seed: number;
  testFraction: number;
  features: FeatureSet;
  days: DayBoundary;
  varSmoothing: number;
  /** Folder for the JSON report. */
  out: string;
}

export const CLASSIFY_DEFAULTS: Omit<ClassifyOptions, "data"> = {
  seed: DEFAULT_SEED,
  testFraction: DEFAULT_TEST_FRACTION,
  features: DEFAULT_FEATURE_SET,
  days: DEFAULT_DAY_BOUNDARY,
  varSmoothing: DEFAULT_VAR_SMOOTHING,
  out: DEFAULT_OUT_DIR,
};

const days = z.enum(["local", "utc"]);
const seed = z.number().int().nonnegative();

const ClusterSchema = z.strictObject({
  data: z.string().min(1),
  k: z.string().min(1),
  method: z.enum(CLUSTER_METHODS),
  out: z.string().min(1),
  seed,
  normalise: z.enum(NORMALISATIONS),
  days,
});

const ClassifySchema = z.strictObject({
  data: z.string().min(1),
  seed,
  testFraction: z.number().gt(0).lt(1),
  features: z.enum(FEATURE_SETS),
  days,
  varSmoothing: z.number().nonnegative(),
  out: z.string().min(1),
});

/** camelCase option name to its CLI flag. */
const flag = (key: PropertyKey): string => `--${String(key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function validate<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${issue.path.length > 0 ? flag(issue.path[0]) : "options"}: ${issue.message}`);
  }
  return result.data;
}

export function parseClusterOptions(args: Partial<Record<keyof ClusterOptions, unknown>>): ClusterOptions {
  return validate(ClusterSchema, { ...CLUSTER_DEFAULTS, ...definedOnly(args) });
}

export function parseClassifyOptions(args: Partial<Record<keyof ClassifyOptions, unknown>>): ClassifyOptions {
  return validate(ClassifySchema, { ...CLASSIFY_DEFAULTS, ...definedOnly(args) });
}

function definedOnly<T extends object>(args: T): Partial<T> {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined)) as Partial<T>;
}
