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

/** v2 adds `package` (the record's terminal signature); v1 files (without it) are still read. */
export const RECORD_PROOF_FORMAT = "gridledger-record-proof-v2";
export const RECORD_PROOF_FORMAT_V1 = "gridledger-record-proof-v1";

/** Where the root was anchored; every field is optional until the pipeline knows it. */
export interface BatchInfo {
  batchId?: number;
  txHash?: Hex;
  blockNumber?: number;
  chainId?: number;
  /** The anchor contract's address. */
  contract?: Hex;
}

/**
 * The signed terminal package that covers a record (IDataAcquisition.TerminalPackage plus its signature): with it,
 * anyone checks that the terminal named in the record signed it (DataAcquisition.verifySignedRecord).
 */
export interface PackageProof {
  /** The chain id of the package's EIP-712 domain. */
  chainId: number;
  terminalId: Hex;
  periodStart: number;
  recordCount: number;
  /** Root of the package tree over the package's record leaf hashes (src/chain/packages.ts PackageTree). */
  recordsRoot: Hex;
  /** The terminal's 65-byte EIP-712 signature of the package. */
  signature: Hex;
  /** The record's path in the package tree, leaf hash to recordsRoot. */
  proof: Hex[];
}

export interface RecordProof {
  format: typeof RECORD_PROOF_FORMAT | typeof RECORD_PROOF_FORMAT_V1;
  record: GridRecord;
  /** Always LEAF_TYPES; stored so the file is self-describing. */
  leafEncoding: string[];
  leaf: RecordLeaf;
  leafHash: Hex;
  proof: Hex[];
  root: Hex;
  batch: BatchInfo;
  /** The record's terminal package signature; absent in v1 files (such a record is reported unsigned). */
  package?: PackageProof;
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

const signatureSchema = z.custom<Hex>((v) => isHexOfLength(v, 65), "expected a 65-byte 0x signature");

export const packageProofSchema = z.strictObject({
  chainId: uintSchema,
  terminalId: hex32Schema,
  periodStart: uintSchema,
  recordCount: z
    .number()
    .int()
    .min(1)
    .max(2 ** 32 - 1),
  recordsRoot: hex32Schema,
  signature: signatureSchema,
  proof: z.array(hex32Schema),
});

export const recordProofSchema = z.strictObject({
  format: z.union([z.literal(RECORD_PROOF_FORMAT), z.literal(RECORD_PROOF_FORMAT_V1)]),
  record: recordSchema,
  leafEncoding: z.tuple(LEAF_TYPES.map((t) => z.literal(t)) as [z.ZodLiteral<string>, ...z.ZodLiteral<string>[]]),
  leaf: z.tuple([hex32Schema, recordKindSchema, uintSchema, hex32Schema]),
  leafHash: hex32Schema,
  proof: z.array(hex32Schema),
  root: hex32Schema,
  batch: batchInfoSchema,
  package: packageProofSchema.optional(),
});

/** The proof file of input index `index` of a record tree; `record` must be the one the leaf was built from. */
export function makeRecordProof(
  tree: FastMerkleTree<RecordLeaf>,
  index: number,
  record: GridRecord,
  batch: BatchInfo = {},
  pkg?: PackageProof,
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
    ...(pkg && { package: pkg }),
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
  if (p.package) {
    if (p.package.terminalId.toLowerCase() !== record.terminalId.toLowerCase())
      problems.push(`package is terminal ${p.package.terminalId}'s, not the record's terminal ${record.terminalId}`);
    if (!FastMerkleTree.verify(p.package.recordsRoot, p.leafHash, p.package.proof))
      problems.push("package proof does not lead from leafHash to the package's recordsRoot");
  }
  return problems;
}
