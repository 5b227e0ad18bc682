import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

/** Folder of the bundled cases (data/ieee at the repository root). */
export const CASE_DIR = resolve(__dirname, "..", "..", "data", "ieee");

/**
 * Bus counts of the IEEE test systems. A case named by one of these numbers (`39`, `case39`,
 * `IEEE39`) is normalised to `ieee39`; other names keep their MATPOWER file stem.
 * MATPOWER's case30 is the Alsac-Stott 30-bus case, not the IEEE CDF one (see data/ieee/README.md),
 * but P003 calls its 30-bus system "IEEE 30", so it is named ieee30 here too.
 */
export const IEEE_BUS_COUNTS: readonly number[] = [14, 30, 39, 57, 118, 300];

const NUMBERED = /^(?:ieee|case)?[_ ]?(\d+)$/i;

/** Strips a `case`/`case_` prefix and lower-cases, to compare names loosely. */
function looseKey(name: string): string {
  return name
    .trim()
    .replace(/\.json$/i, "")
    .replace(/^case_?/i, "")
    .toLowerCase();
}

/** Stems of the bundled case files, e.g. `case39`, `case_ACTIVSg10k`. */
export function bundledCaseStems(dir: string = CASE_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^case.*\.json$/i.test(f))
    .map((f) => f.replace(/\.json$/i, ""))
    .sort();
}

/**
 * The canonical case name used in terminal IDs and outputs:
 * `39`, `case39`, `IEEE39`, `ieee_39` -> `ieee39` (IEEE bus counts); `9241pegase` -> `case9241pegase`,
 * `activsg10k` -> `case_ACTIVSg10k` (a bundled file stem, matched case-insensitively without its
 * `case`/`case_` prefix); a bare number that is not an IEEE system -> `case<N>`; anything else is
 * returned trimmed, unchanged.
 */
export function normaliseCaseName(name: string): string {
  const trimmed = name.trim();
  const numbered = NUMBERED.exec(trimmed);
  if (numbered) {
    const n = Number(numbered[1]);
    return IEEE_BUS_COUNTS.includes(n) ? `ieee${n}` : `case${n}`;
  }
  const key = looseKey(trimmed);
  const stem = bundledCaseStems().find((s) => looseKey(s) === key);
  return stem ?? trimmed;
}

/** The bundled file for a `--case` value, or a clear error listing what exists. */
export function bundledCasePath(ref: string, dir: string = CASE_DIR): string {
  const numbered = NUMBERED.exec(ref.trim());
  const key = numbered ? numbered[1] : looseKey(ref);
  const stems = bundledCaseStems(dir);
  const stem = stems.find((s) => looseKey(s) === key);
  if (!stem) {
    const known = stems.map((s) => normaliseCaseName(s)).join(", ");
    throw new Error(`unknown case "${ref}": bundled cases in ${dir} are ${known} (or pass --case-file <path>)`);
  }
  return join(dir, `${stem}.json`);
}
