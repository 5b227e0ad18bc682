import { readFileSync } from "node:fs";
import { z } from "zod";
import { formatJsonPath, jsonLineOf } from "../common/jsonPosition";
import { BackgroundLoad, NetworkOptions } from "../grid/network";
import { Source, SourceRuleOptions } from "../grid/sources";
import { RoutingOptions } from "./options";

/** Validation of user-supplied routing inputs (CLI flags and JSON files), with errors that say where. */

const positive = z.number().positive();
const count = z.int().min(1);

const networkOverrides = z.strictObject({
  kmPerPuReactance: positive.optional(),
  minLengthKm: positive.optional(),
  maxLengthKm: positive.optional(),
  propagationKmPerS: positive.optional(),
  bandwidthBps: positive.optional(),
  tBaseS: z.number().nonnegative().optional(),
  background: z
    .strictObject({ seed: z.int(), min: z.number().min(0).max(1), max: z.number().min(0).max(1) })
    .nullable()
    .optional(),
});

const routingOverrides = z.strictObject({
  packetBytes: count.optional(),
  bufferPackets: count.optional(),
  serviceRatePps: positive.nullable().optional(),
  periodS: positive.optional(),
  deadlineS: positive.optional(),
  hopBound: count.optional(),
  kPaths: count.optional(),
  generatorCandidates: count.optional(),
  tBuildMs: z.number().nonnegative().optional(),
  headerBytes: count.optional(),
});

const sourceRuleOverrides = z.strictObject({
  fraction: z.number().gt(0).max(1).optional(),
  minCount: count.optional(),
  sizesMB: z.array(positive).min(1).optional(),
});

/** `--model` JSON: `{"network": {...}, "routing": {...}, "sources": {...}}`, all optional, unknown keys rejected. */
export const modelOverridesSchema = z.strictObject({
  network: networkOverrides.optional(),
  routing: routingOverrides.optional(),
  sources: sourceRuleOverrides.optional(),
});

export interface ModelOverrides {
  network: Partial<NetworkOptions>;
  routing: Partial<RoutingOptions>;
  /** The default-source rule for cases other than IEEE 39. */
  sources: Partial<SourceRuleOptions>;
}

function zodFail(what: string, text: string, issue: z.core.$ZodIssue): never {
  throw new Error(`${what}: line ${jsonLineOf(text, issue.path)}: ${formatJsonPath(issue.path)}: ${issue.message}`);
}

function parseJson(what: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what}: not valid JSON: ${(e as Error).message}`);
  }
}

/** Parses `--model` (inline JSON, or a path to a JSON file when it does not start with "{"). */
export function parseModelOverrides(arg: string | undefined): ModelOverrides {
  if (arg === undefined || arg.trim() === "") return { network: {}, routing: {}, sources: {} };
  const inline = arg.trim().startsWith("{");
  const what = inline ? "--model" : `--model ${arg}`;
  const text = inline ? arg : readFileSync(arg, "utf8");
  const parsed = modelOverridesSchema.safeParse(parseJson(what, text));
  if (!parsed.success) zodFail(what, text, parsed.error.issues[0]);
  const { network = {}, routing = {}, sources = {} } = parsed.data;
  return { network, routing, sources };
}

/** Parses `--background 0.1-0.5` (or a single value `0.2`) into a seeded background load. */
export function parseBackground(arg: string | undefined, seed: number): BackgroundLoad | null {
  if (arg === undefined || arg.trim() === "") return null;
  const m = /^\s*([0-9.]+)\s*(?:-\s*([0-9.]+))?\s*$/.exec(arg);
  const min = m ? Number(m[1]) : NaN;
  const max = m?.[2] !== undefined ? Number(m[2]) : min;
  if (!(min >= 0 && max >= min && max < 1)) {
    throw new Error(`--background must be a utilisation range like 0.1-0.5 (0 <= min <= max < 1), got "${arg}"`);
  }
  return { seed, min, max };
}

const sourcesSchema = z
  .array(
    z.strictObject({
      bus: z.int().nonnegative(),
      bytes: z.number().nonnegative(),
      deadlineMs: positive.optional(),
    }),
  )
  .min(1);

/** Reads a `--sources` JSON file: `[{"bus": 5, "bytes": 8000000, "deadlineMs": 1000?}, ...]`. */
export function readSourcesFile(path: string): Source[] {
  const text = readFileSync(path, "utf8");
  const parsed = sourcesSchema.safeParse(parseJson(`--sources ${path}`, text));
  if (!parsed.success) zodFail(`--sources ${path}`, text, parsed.error.issues[0]);
  return parsed.data;
}
