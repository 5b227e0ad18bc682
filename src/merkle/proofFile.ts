/**
 * The per-record proof file: everything needed to check one record against an anchored root
 * offline (recompute payload hash, leaf hash, fold the proof) or on-chain (leaf + proof + batch).
 * The builder fills the Merkle part; the pipeline fills `batch` once the root is anchored.
 * No file I/O here (see proofFile.node.ts), so browsers can check proofs too.
 */
import { z } from "zod";
import { isHexOfLength, type Hex } from "./hex";
import {
  formatIssues,
  hex32Schema,
  LEAF_TYPES,
  leafValuesHash,
  payloadHash,
  recordKindSchema,
  recordSchema,
  type GridRecord,
  type RecordLeaf,
} from "./record";
import { FastMerkleTree } from "./tree";

export const RECORD_PROOF_FORMAT = "gridledger-record-proof-v1";

/** Where the root was anchored; every field is optional until the pipeline knows it. */
export interface BatchInfo {
  batchId?: number;
  txHash?: Hex;
  blockNumber?: number;
  chainId?: number;
  /** The anchor contract's address. */
  contract?: Hex;
}

export interface RecordProof {
  format: typeof RECORD_PROOF_FORMAT;
  record: GridRecord;
  /** Always LEAF_TYPES; stored so the file is self-describing. */
  leafEncoding: string[];
  leaf: RecordLeaf;
  leafHash: Hex;
  proof: Hex[];
  root: Hex;
  batch: BatchInfo;
}

const uintSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const addressSchema = z.custom<Hex>((v) => isHexOfLength(v, 20), "expected a 0x address of 40 hex digits");

export const batchInfoSchema = z.strictObject({
  batchId: uintSchema.optional(),
  txHash: hex32Schema.optional(),
  blockNumber: uintSchema.optional(),
  chainId: uintSchema.optional(),
  contract: addressSchema.optional(),
});

export const recordProofSchema = z.strictObject({
  format: z.literal(RECORD_PROOF_FORMAT),
  record: recordSchema,
  leafEncoding: z.tuple(LEAF_TYPES.map((t) => z.literal(t)) as [z.ZodLiteral<string>, ...z.ZodLiteral<string>[]]),
  leaf: z.tuple([hex32Schema, recordKindSchema, uintSchema, hex32Schema]),
  leafHash: hex32Schema,
  proof: z.array(hex32Schema),
  root: hex32Schema,
  batch: batchInfoSchema,
});

/** The proof file of input index `index` of a record tree; `record` must be the one the leaf was built from. */
export function makeRecordProof(
  tree: FastMerkleTree<RecordLeaf>,
  index: number,
  record: GridRecord,
  batch: BatchInfo = {},
): RecordProof {
  const leaf = tree.at(index);
  if (
    leaf[0].toLowerCase() !== record.terminalId.toLowerCase() ||
    leaf[1] !== record.kind ||
    leaf[2] !== record.timestamp
  ) {
    throw new Error(`makeRecordProof: leaf ${index} of the tree was not built from the given record`);
  }
  return {
    format: RECORD_PROOF_FORMAT,
    record,
    leafEncoding: [...LEAF_TYPES],
    leaf: [leaf[0], leaf[1], leaf[2], leaf[3]],
    leafHash: tree.leafHash(index),
    proof: tree.getProof(index),
    root: tree.root,
    batch: { ...batch },
  };
}

/** Validates parsed JSON as a proof file; errors name `source` and each bad field. */
export function parseRecordProof(json: unknown, source: string): RecordProof {
  const r = recordProofSchema.safeParse(json);
  if (!r.success) throw new Error(formatIssues(r.error, source));
  return r.data as RecordProof;
}

/**
 * Recomputes everything in a proof file from its record: payload hash, leaf values, leaf hash and
 * the root the proof folds to. Returns the problems found (empty when the record is proven).
 * Needs `initMerkle()`.
 */
export function checkRecordProof(p: RecordProof): string[] {
  const problems: string[] = [];
  const { record, leaf } = p;
  if (leaf[0].toLowerCase() !== record.terminalId.toLowerCase())
    problems.push("leaf terminalId differs from the record");
  if (leaf[1] !== record.kind) problems.push("leaf kind differs from the record");
  if (leaf[2] !== record.timestamp) problems.push("leaf timestamp differs from the record");
  if (payloadHash(record.payload) !== leaf[3].toLowerCase())
    problems.push("payload hash differs from the record's payload");
  if (leafValuesHash(leaf) !== p.leafHash.toLowerCase()) problems.push("leafHash is not the hash of the leaf values");
  if (!FastMerkleTree.verify(p.root, p.leafHash, p.proof)) problems.push("proof does not lead from leafHash to root");
  return problems;
}
