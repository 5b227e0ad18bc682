import { readFileSync } from "node:fs";
import { z } from "zod";
import { formatJsonPath, jsonLineOf, JsonPath } from "../common/jsonPosition";
import { bundledCasePath, normaliseCaseName } from "./caseNames";

/** The JSON format of data/ieee (see its README): MATPOWER's bus, gen and branch matrices. */
const busSchema = z.object({
  id: z.int().positive(),
  type: z.int().min(1).max(4),
  Pd: z.number(),
  Qd: z.number(),
  baseKV: z.number().nonnegative(),
  area: z.int(),
});
const generatorSchema = z.object({
  bus: z.int().positive(),
  Pg: z.number(),
  Pmax: z.number(),
});
const branchSchema = z.object({
  from: z.int().positive(),
  to: z.int().positive(),
  r: z.number(),
  x: z.number(),
  b: z.number(),
  rateA: z.number().nonnegative(),
  status: z.union([z.literal(0), z.literal(1)]),
});
export const gridCaseSchema = z.object({
  name: z.string().min(1),
  baseMVA: z.number().positive(),
  source: z.string().optional(),
  buses: z.array(busSchema).min(1),
  generators: z.array(generatorSchema),
  branches: z.array(branchSchema),
});

export type Bus = z.infer<typeof busSchema>;
export type Generator = z.infer<typeof generatorSchema>;
export type Branch = z.infer<typeof branchSchema>;
export type GridCase = z.infer<typeof gridCaseSchema>;

/** A malformed case: names the file, the 1-based line and the field. */
export class CaseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ""}: ${field}: ${reason}`);
    this.name = "CaseError";
  }
}

function fail(file: string, text: string, path: JsonPath, reason: string): never {
  throw new CaseError(file, jsonLineOf(text, path), formatJsonPath(path), reason);
}

/** Cross-row checks the schema cannot express: unique bus ids and references to existing buses. */
function checkReferences(c: GridCase, file: string, text: string): void {
  const ids = new Set<number>();
  c.buses.forEach((bus, i) => {
    if (ids.has(bus.id)) fail(file, text, ["buses", i, "id"], `duplicate bus id ${bus.id}`);
    ids.add(bus.id);
  });
  c.generators.forEach((g, i) => {
    if (!ids.has(g.bus)) fail(file, text, ["generators", i, "bus"], `bus ${g.bus} does not exist`);
  });
  c.branches.forEach((br, i) => {
    if (!ids.has(br.from)) fail(file, text, ["branches", i, "from"], `bus ${br.from} does not exist`);
    if (!ids.has(br.to)) fail(file, text, ["branches", i, "to"], `bus ${br.to} does not exist`);
  });
}

/** Parses and validates case JSON text; `file` is only used in error messages. */
export function parseCase(text: string, file: string): GridCase {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? text.slice(0, Number(pos[1])).split("\n").length : undefined;
    throw new CaseError(file, line, "(root)", `not valid JSON: ${msg}`);
  }
  const parsed = gridCaseSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(file, text, issue.path, issue.message);
  }
  checkReferences(parsed.data, file, text);
  return parsed.data;
}

/** Reads and validates a case file of the data/ieee format. */
export function loadCaseFile(path: string): GridCase {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CaseError(path, undefined, "(file)", `cannot read: ${(e as Error).message}`);
  }
  return parseCase(text, path);
}

export interface LoadedCase {
  /** Canonical name (see normaliseCaseName), e.g. `ieee39`. */
  name: string;
  path: string;
  grid: GridCase;
}

/**
 * Loads a bundled case by name (`ieee39`, `39`, `case39`, `9241pegase`...) or, with `file`, any
 * file of the same format; the canonical name then comes from the file's `name` field.
 */
export function loadCase(ref: { case: string } | { file: string }): LoadedCase {
  const path = "file" in ref ? ref.file : bundledCasePath(ref.case);
  const grid = loadCaseFile(path);
  return { name: normaliseCaseName("file" in ref ? grid.name : ref.case), path, grid };
}
