/** What a dropped or pasted JSON document is, by its shape. */
import { BATCH_PROOFS_FORMAT, RECORD_PROOF_FORMAT, RECORD_PROOF_FORMAT_V1 } from "../../src/sdk";

export type InputKind = "record" | "record-proof" | "batch-proofs" | "deployment";

export function classify(json: unknown): InputKind | undefined {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  const o = json as Record<string, unknown>;
  if (o.format === RECORD_PROOF_FORMAT || o.format === RECORD_PROOF_FORMAT_V1) return "record-proof";
  if (o.format === BATCH_PROOFS_FORMAT) return "batch-proofs";
  if (typeof o.contracts === "object" && o.chainId !== undefined) return "deployment";
  if (typeof o.terminalId === "string" && "payload" in o) return "record";
  return undefined;
}

/** Parses JSON from a named source, with the source in the error. */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${source} is not valid JSON: ${(e as Error).message}`);
  }
}
