/**
 * Optional modules of the client: name resolution (DataNameRegistry) and sharing-grant checks (DataSharing).
 * Each is either an object implementing the small interface below (bring your own: a cache, an indexer, a
 * mock) or `{ address, abi? }` of a deployed contract, which the client wraps in the adapter of names.ts or
 * sharing.ts.
 */
import type { InterfaceAbi } from "ethers";

/** A deployed contract for a module: its address and, optionally, an ABI (default: the SDK's own fragment). */
export interface ContractModule {
  address: string;
  abi?: InterfaceAbi;
}

/** What a name points at, as DataNameRegistry's TargetKind names it. */
export type NameTargetKind = "None" | "Terminal" | "Batch" | "Dataset" | "MetadataURI";

/** What a GridLedger name points at. */
export interface ResolvedName {
  /** The name as given, e.g. "gz.ieee39.bus13.pmu". */
  name: string;
  /** Its ENS-style namehash. */
  node: string;
  owner: string;
  kind: NameTargetKind;
  /** A terminal id (0x bytes32), a batch or dataset id (decimal), a URI, or "" for None. */
  target: string;
}

/** Resolves human-readable names; `undefined` when the name is not registered. */
export interface NameResolver {
  resolve(name: string): Promise<ResolvedName | undefined>;
}

/** A receiver's access to a dataset. Times are unix seconds, 0 when not set. */
export interface SharingGrant {
  /** Granted, not revoked and not expired, now. */
  authorized: boolean;
  grantedAt: number;
  expiresAt: number;
  revokedAt: number;
  /** The committed bundle ciphertext hash (zero when never granted). */
  ciphertextHash: string;
}

/** Answers whether a receiver may access a dataset now. */
export interface GrantChecker {
  checkGrant(datasetId: bigint, receiver: string): Promise<SharingGrant>;
}

/** True for `{ address }` (a contract to wrap), false for a ready module object. */
export function isContractModule(value: unknown): value is ContractModule {
  return typeof value === "object" && value !== null && typeof (value as ContractModule).address === "string";
}
