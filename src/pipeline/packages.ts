import { SigningKey, TypedDataEncoder, type TypedDataDomain } from "ethers";
import { recoverSigner, signDigest } from "../chain/nativeEcdsa";
import { LEAF_TYPES, type GridRecord, type RecordLeaf } from "../merkle";
import { keccak256Hex, leafHashInto } from "../merkle/keccak";
import { bytesToHex } from "../merkle/hex";
import { encodeRecordLeaf } from "../merkle/record";

/**
 * What a terminal signs each period (EIP-712, off-chain): its id, the period, and a hash over the leaf hashes of
 * the records it sends, in order. One signature covers the whole package, so signing costs nothing per record.
 */
export const PACKAGE_TYPES = {
  TerminalPackage: [
    { name: "terminalId", type: "bytes32" },
    { name: "periodStart", type: "uint64" },
    { name: "recordCount", type: "uint32" },
    { name: "recordsHash", type: "bytes32" },
  ],
};

export function packageDomain(chainId: bigint | number): TypedDataDomain {
  return { name: "GridLedger Terminal Package", version: "1", chainId };
}

/** A terminal's records for one period with their leaves, hashed once and reused by the batch tree. */
export interface TerminalPackage {
  terminalId: string;
  periodStart: number;
  records: GridRecord[];
  leaves: RecordLeaf[];
  /** 32 bytes per record, in record order. */
  leafHashes: Uint8Array;
  signature: string;
}

/** Leaf values and leaf hashes of records (one pass, no per-record buffers). Needs initMerkle(). */
export function hashRecords(records: readonly GridRecord[]): { leaves: RecordLeaf[]; leafHashes: Uint8Array } {
  const encoded = new Uint8Array(32 * LEAF_TYPES.length);
  const leafHashes = new Uint8Array(32 * records.length);
  const leaves = records.map((r, i) => {
    const leaf = encodeRecordLeaf(r, encoded);
    leafHashInto(encoded, leafHashes, 32 * i);
    return leaf;
  });
  return { leaves, leafHashes };
}

export function leafHashHex(leafHashes: Uint8Array, i: number): string {
  return bytesToHex(leafHashes, 32 * i, 32);
}

function packageDigest(
  chainId: bigint | number,
  p: Pick<TerminalPackage, "terminalId" | "periodStart" | "records" | "leafHashes">,
): string {
  return TypedDataEncoder.hash(packageDomain(chainId), PACKAGE_TYPES, {
    terminalId: p.terminalId,
    periodStart: p.periodStart,
    recordCount: p.records.length,
    recordsHash: keccak256Hex(p.leafHashes),
  });
}

/** Builds and signs a terminal's package for a period. */
export function signPackage(
  key: SigningKey,
  chainId: bigint | number,
  terminalId: string,
  periodStart: number,
  records: GridRecord[],
): TerminalPackage {
  const { leaves, leafHashes } = hashRecords(records);
  const unsigned = { terminalId, periodStart, records, leaves, leafHashes };
  return { ...unsigned, signature: signDigest(key, packageDigest(chainId, unsigned)) };
}

/** The address that signed a package, or undefined when the signature is malformed. */
export function packageSigner(chainId: bigint | number, p: TerminalPackage): string | undefined {
  try {
    return recoverSigner(packageDigest(chainId, p), p.signature);
  } catch {
    return undefined;
  }
}
