import { renameSync, writeFileSync } from "node:fs";
import { parseJsonExact } from "../common/exactJson";
import { readTextFile } from "../common/text";
import type { RecordProof } from "../merkle";
import { BATCH_PROOFS_FORMAT, parseProofs, type BatchProofs } from "./proofs";

export { BATCH_PROOFS_FORMAT, buildBatchProofs, parseProofs, type BatchProofs } from "./proofs";

/** Writes via a temporary file and a rename, so a reader (or a crash) never sees half a proofs file. */
export function writeBatchProofs(path: string, proofs: BatchProofs): void {
  writeFileSync(`${path}.part`, `${JSON.stringify(proofs)}\n`);
  renameSync(`${path}.part`, path);
}

/** Reads a JSON file keeping every number exact (a rounded number would let another record verify). */
function readJsonFile(path: string, what: string): unknown {
  try {
    return parseJsonExact(readTextFile(path), path).value;
  } catch (e) {
    throw new Error(`cannot read ${what}: ${(e as Error).message}`, { cause: e });
  }
}

/** Reads a single record proof or a batch proofs file; errors name the file and the bad field. */
export function readProofs(path: string): RecordProof[] {
  return parseProofs(readJsonFile(path, "JSON proofs"), path);
}

/**
 * The batch proofs file at `path` (an earlier grid:anchor's output), checked; refuses any other existing file,
 * so a mistyped --out never overwrites a records file or something else.
 */
export function readBatchProofs(path: string): BatchProofs {
  const json = readJsonFile(path, "the existing proofs file") as Partial<BatchProofs> | null;
  if (json?.format !== BATCH_PROOFS_FORMAT)
    throw new Error(`${path} exists and is not a ${BATCH_PROOFS_FORMAT} file: refusing to overwrite it`);
  return { ...(json as BatchProofs), proofs: parseProofs(json, path) };
}
