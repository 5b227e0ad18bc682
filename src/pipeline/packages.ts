import type { SigningKey } from "ethers";
import { domainSeparator } from "../chain/eip712";
import { PACKAGE_TYPEHASH, PACKAGE_TYPES, packageDomain, PackageTree, type PackageHead } from "../chain/packages";
import { recoverSigner, signDigest } from "../chain/nativeEcdsa.node";
import { LEAF_TYPES, type GridRecord, type RecordLeaf } from "../merkle";
import { keccak256Bytes, keccak256Hex, leafHashInto } from "../merkle/keccak";
import { bytesToHex, decodeHexInto, isHexOfLength } from "../merkle/hex";
import { compileStaticEncoder } from "../merkle/abi";
import { encodeRecordLeaf } from "../merkle/record";

/**
 * What a terminal signs each period (EIP-712, off-chain; src/chain/packages.ts): its id, the period, the record
 * count and the root of a Merkle tree over the leaf hashes of the records it sends, in order. One signature covers
 * the whole package, so signing costs nothing per record, and each record's proof carries its short path to that
 * root, so a verifier checks the signature without the rest of the package.
 */
export { PACKAGE_TYPES, packageDomain };

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

/**
 * Records roots by leaf-hash buffer. The door, the close and the batch stage each need a package's root, and the
 * package tree of a 900-record package costs about a millisecond to rebuild. Weak: an entry goes with its
 * package. A package's leaf hashes are written once, by `hashRecords`, and never changed after.
 */
const recordsRoots = new WeakMap<Uint8Array, Uint8Array>();

/** The root of the package tree over `leafHashes` (32 zero bytes for none), computed once per buffer. */
export function recordsRootBytes(leafHashes: Uint8Array): Uint8Array {
  let root = recordsRoots.get(leafHashes);
  if (!root) recordsRoots.set(leafHashes, (root = new PackageTree(leafHashes).rootBytes.slice()));
  return root;
}

/** Records `root` as the package root of `leafHashes` (known from where they were hashed, e.g. another thread). */
export function knowRecordsRoot(leafHashes: Uint8Array, root: Uint8Array): void {
  recordsRoots.set(leafHashes, root);
}

/** The struct's words: its type hash, then the fields of PACKAGE_TYPES in order. */
const PACKAGE_STRUCT = compileStaticEncoder(["bytes32", ...PACKAGE_TYPES.TerminalPackage.map((f) => f.type)]);
/** `0x1901 || domainSeparator || structHash` and the struct's words: reused, never reallocated. */
const digestInput = new Uint8Array(66);
const structInput = new Uint8Array(PACKAGE_STRUCT.size);

/**
 * The EIP-712 digest of a package, written out for its one fixed type: ethers' generic TypedDataEncoder takes
 * ~250 us per call here, more than signing; this takes a few (equal to ethers on random packages, test/unit/pipeline.test.ts).
 */
export function packageDigest(
  chainId: bigint | number,
  p: Pick<TerminalPackage, "terminalId" | "periodStart" | "records" | "leafHashes">,
): string {
  if (!isHexOfLength(p.terminalId, 32))
    throw new Error(`package terminalId: expected 32 bytes of hex, got ${p.terminalId}`);
  if (!Number.isSafeInteger(p.periodStart) || p.periodStart < 0) {
    throw new Error(`package periodStart: expected whole unix seconds, got ${p.periodStart}`);
  }
  PACKAGE_STRUCT.encodeInto(
    [PACKAGE_TYPEHASH, p.terminalId, p.periodStart, p.records.length, recordsRootBytes(p.leafHashes)],
    structInput,
  );
  digestInput[0] = 0x19;
  digestInput[1] = 0x01;
  decodeHexInto(domainSeparator(packageDomain(chainId)), digestInput, 2);
  digestInput.set(keccak256Bytes(structInput), 34);
  return keccak256Hex(digestInput);
}

/** The signed fields of a package, for its records' proofs. */
export function packageHead(
  p: Pick<TerminalPackage, "terminalId" | "periodStart" | "records" | "leafHashes">,
): PackageHead {
  return {
    terminalId: p.terminalId,
    periodStart: p.periodStart,
    recordCount: p.records.length,
    recordsRoot: bytesToHex(recordsRootBytes(p.leafHashes)),
  };
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
  return signerOfDigest(packageDigest(chainId, p), p.signature);
}

/** The address (lower case) that signed a package whose digest (its id) is known; undefined when malformed. */
export function signerOfDigest(digest: string, signature: string): string | undefined {
  try {
    return recoverSigner(digest, signature);
  } catch {
    return undefined;
  }
}
