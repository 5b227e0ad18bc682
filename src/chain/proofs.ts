/** The batch proofs file format (`<file>.proofs.json`), without file I/O so browsers can read it too. */
import { z } from "zod";
import {
  batchInfoSchema,
  makeRecordProof,
  parseRecordProof,
  RECORD_PROOF_FORMAT,
  RECORD_PROOF_FORMAT_V1,
  type BatchInfo,
  type FastMerkleTree,
  type GridRecord,
  type PackageProof,
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

/**
 * Proof files for every record of a tree, in input order, stamped with where the root was anchored, each with its
 * terminal package signature when `packages` (one per record, same order) is given.
 */
export function buildBatchProofs(
  tree: FastMerkleTree<RecordLeaf>,
  records: readonly GridRecord[],
  batch: BatchInfo,
  packages?: readonly PackageProof[],
): BatchProofs {
  return {
    format: BATCH_PROOFS_FORMAT,
    root: tree.root,
    batch,
    proofs: records.map((r, i) => makeRecordProof(tree, i, r, batch, packages?.[i])),
  };
}

const batchProofsHead = z.object({
  format: z.literal(BATCH_PROOFS_FORMAT),
  root: z.string(),
  batch: batchInfoSchema,
  proofs: z.array(z.unknown()),
});

/**
 * The record proofs in parsed JSON: a single record proof file or a batch proofs file. Errors name `source`
 * (a file name, or whatever the caller calls the input) and the bad field.
 */
export function parseProofs(json: unknown, source: string): RecordProof[] {
  const format = (json as { format?: unknown } | null)?.format;
  if (format === RECORD_PROOF_FORMAT || format === RECORD_PROOF_FORMAT_V1) return [parseRecordProof(json, source)];
  if (format === BATCH_PROOFS_FORMAT) {
    const head = batchProofsHead.safeParse(json);
    if (!head.success)
      throw new Error(`${source}: ${head.error.issues[0].path.join(".")}: ${head.error.issues[0].message}`);
    return head.data.proofs.map((p, i) => parseRecordProof(p, `${source} proofs[${i}]`));
  }
  throw new Error(
    `${source}: field "format" must be ${RECORD_PROOF_FORMAT} or ${BATCH_PROOFS_FORMAT}, got ${JSON.stringify(format)}`,
  );
}
