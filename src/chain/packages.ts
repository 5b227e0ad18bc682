/**
 * The terminal package: what each terminal signs (EIP-712, off-chain) over the records it sends for a period, and
 * the part of it a record's proof carries so any verifier can check, from the proof file and the chain alone, that
 * the terminal named in the record signed it. Runs in browsers too (no Node built-ins); needs `initMerkle()`.
 */
import {
  AbiCoder,
  concat,
  id,
  keccak256,
  recoverAddress,
  TypedDataEncoder,
  ZeroHash,
  type TypedDataDomain,
} from "ethers";
import { bytesToHex } from "../merkle/hex";
import { buildLayout, proofIndices } from "../merkle/layout";
import { domainSeparator } from "./eip712";

/** The package domain (DataAcquisition.packageDigest hashes the same): no verifying contract, so one signature
 * serves every deployment on the chain. */
export const PACKAGE_DOMAIN_NAME = "GridLedger Terminal Package";
export const PACKAGE_DOMAIN_VERSION = "1";

export const PACKAGE_TYPES = {
  TerminalPackage: [
    { name: "terminalId", type: "bytes32" },
    { name: "periodStart", type: "uint64" },
    { name: "recordCount", type: "uint32" },
    { name: "recordsRoot", type: "bytes32" },
  ],
};

export const PACKAGE_TYPEHASH = id(TypedDataEncoder.from(PACKAGE_TYPES).encodeType("TerminalPackage"));

export function packageDomain(chainId: bigint | number): TypedDataDomain {
  return { name: PACKAGE_DOMAIN_NAME, version: PACKAGE_DOMAIN_VERSION, chainId };
}

/** The signed fields of a package (IDataAcquisition.TerminalPackage). */
export interface PackageHead {
  terminalId: string;
  periodStart: number;
  recordCount: number;
  /** Root of the package tree over its records' leaf hashes ({@link PackageTree}); zero for no records. */
  recordsRoot: string;
}

/**
 * The package tree: an OpenZeppelin Merkle tree (sorted-pair hashing, as batches) over the leaf hashes of a
 * package's records, in package order. A record is proven in its package with ~log2(n) hashes, without the rest of
 * the package, and `MerkleProof.processProof` folds it on-chain.
 */
export class PackageTree {
  private readonly nodes: Uint8Array;
  private readonly treeIndexOf: Uint32Array;

  /** @param leafHashes 32 bytes per record, in package order. */
  constructor(leafHashes: Uint8Array) {
    const n = leafHashes.length / 32;
    if (!Number.isInteger(n)) throw new Error(`package leaf hashes: ${leafHashes.length} bytes is not 32 per record`);
    if (n === 0) {
      this.nodes = new Uint8Array(0);
      this.treeIndexOf = new Uint32Array(0);
      return;
    }
    ({ nodes: this.nodes, treeIndexOf: this.treeIndexOf } = buildLayout(leafHashes, n, false));
  }

  /** The records root; zero for an empty package. */
  get root(): string {
    return this.nodes.length === 0 ? ZeroHash : bytesToHex(this.nodes, 0, 32);
  }

  get rootBytes(): Uint8Array {
    return this.nodes.length === 0 ? new Uint8Array(32) : this.nodes.subarray(0, 32);
  }

  /** The proof of record i (in package order) up to the records root. */
  proof(i: number): string[] {
    if (!Number.isInteger(i) || i < 0 || i >= this.treeIndexOf.length) {
      throw new Error(`package record ${i} is out of range (the package holds ${this.treeIndexOf.length})`);
    }
    return proofIndices(this.treeIndexOf[i]).map((t) => bytesToHex(this.nodes, 32 * t, 32));
  }
}

const abi = AbiCoder.defaultAbiCoder();

/** The EIP-712 digest of a package head: what the terminal signs and DataAcquisition.packageDigest returns. */
export function packageHeadDigest(chainId: bigint | number, head: PackageHead): string {
  const struct = keccak256(
    abi.encode(
      ["bytes32", "bytes32", "uint64", "uint32", "bytes32"],
      [PACKAGE_TYPEHASH, head.terminalId, head.periodStart, head.recordCount, head.recordsRoot],
    ),
  );
  return keccak256(concat(["0x1901", domainSeparator(packageDomain(chainId)), struct]));
}

/** The lowercase address that signed a package head, or undefined for a malformed signature. */
export function recoverPackageSigner(
  chainId: bigint | number,
  head: PackageHead,
  signature: string,
): string | undefined {
  try {
    return recoverAddress(packageHeadDigest(chainId, head), signature).toLowerCase();
  } catch {
    return undefined;
  }
}

/** The package as the contract's TerminalPackage struct. */
export function packageStruct(head: PackageHead) {
  return {
    terminalId: head.terminalId,
    periodStart: head.periodStart,
    recordCount: head.recordCount,
    recordsRoot: head.recordsRoot,
  };
}
