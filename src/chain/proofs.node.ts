import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { RecordProof } from "../merkle";
import { parseProofs, type BatchProofs } from "./proofs";

export { BATCH_PROOFS_FORMAT, buildBatchProofs, parseProofs, type BatchProofs } from "./proofs";

/** Writes via a temporary file and a rename, so a reader (or a crash) never sees half a proofs file. */
export function writeBatchProofs(path: string, proofs: BatchProofs): void {
  writeFileSync(`${path}.part`, `${JSON.stringify(proofs)}\n`);
  renameSync(`${path}.part`, path);
}

/** Reads a single record proof or a batch proofs file; errors name the file and the bad field. */
export function readProofs(path: string): RecordProof[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: cannot read JSON proofs: ${(e as Error).message}`, { cause: e });
  }
  return parseProofs(json, path);
}
