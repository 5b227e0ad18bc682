/** Reading and writing per-record proof files (Node only; the format itself is in proofFile.ts). */
import { readFileSync, writeFileSync } from "node:fs";
import { parseRecordProof, type RecordProof } from "./proofFile";

/** Reads and validates a proof file. */
export function readRecordProof(file: string): RecordProof {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: cannot read a JSON record proof: ${(e as Error).message}`, { cause: e });
  }
  return parseRecordProof(json, file);
}

/** Writes a proof file as indented JSON. */
export function writeRecordProof(file: string, proof: RecordProof): void {
  writeFileSync(file, `${JSON.stringify(proof, null, 2)}\n`);
}
