import { readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import {
  batchInfoSchema,
  makeRecordProof,
  parseRecordProof,
  RECORD_PROOF_FORMAT,
  type BatchInfo,
  type FastMerkleTree,
  type GridRecord,
  type RecordLeaf,
  type RecordProof,
} from "../merkle";

export const BATCH_PROOFS_FORMAT = "gridledger-batch-proofs-v1";

/** Every record of one batch with its proof, written next to an anchored file as `<file>.proofs.json`. */
export interface BatchProofs {
  format: typeof BATCH_PROOFS_FORMAT;
  root: string;
  batch: BatchInfo;
  proofs: RecordProof[];
}

/** Proof files for every record of a tree, in input order, stamped with where the root was anchored. */
export function buildBatchProofs(
  tree: FastMerkleTree<RecordLeaf>,
  records: readonly GridRecord[],
  batch: BatchInfo,
): BatchProofs {
  return {
    format: BATCH_PROOFS_FORMAT,
    root: tree.root,
    batch,
    proofs: records.map((r, i) => makeRecordProof(tree, i, r, batch)),
  };
}

export function writeBatchProofs(path: string, proofs: BatchProofs): void {
  writeFileSync(path, `${JSON.stringify(proofs)}\n`);
}

const batchProofsHead = z.object({
  format: z.literal(BATCH_PROOFS_FORMAT),
  root: z.string(),
  batch: batchInfoSchema,
  proofs: z.array(z.unknown()),
});

/** Reads a single record proof or a batch proofs file; errors name the file and the bad field. */
export function readProofs(path: string): RecordProof[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: cannot read JSON proofs: ${(e as Error).message}`, { cause: e });
  }
  const format = (json as { format?: unknown } | null)?.format;
  if (format === RECORD_PROOF_FORMAT) return [parseRecordProof(json, path)];
  if (format === BATCH_PROOFS_FORMAT) {
    const head = batchProofsHead.safeParse(json);
    if (!head.success)
      throw new Error(`${path}: ${head.error.issues[0].path.join(".")}: ${head.error.issues[0].message}`);
    return head.data.proofs.map((p, i) => parseRecordProof(p, `${path} proofs[${i}]`));
  }
  throw new Error(
    `${path}: field "format" must be ${RECORD_PROOF_FORMAT} or ${BATCH_PROOFS_FORMAT}, got ${JSON.stringify(format)}`,
  );
}
