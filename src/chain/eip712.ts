import { concat, keccak256, Signature, SigningKey, TypedDataDomain, TypedDataEncoder } from "ethers";
import type { BatchHeader } from "./types";

/** The EIP-712 domain name and version of DataAcquisition (its constructor fixes them). */
export const ACQUISITION_DOMAIN_NAME = "GridLedger DataAcquisition";
export const ACQUISITION_DOMAIN_VERSION = "1";

export const BATCH_HEADER_TYPES = {
  BatchHeader: [
    { name: "dataType", type: "uint16" },
    { name: "terminalId", type: "bytes32" },
    { name: "sequence", type: "uint64" },
    { name: "windowStart", type: "uint64" },
    { name: "windowEnd", type: "uint64" },
    { name: "recordCount", type: "uint32" },
    { name: "merkleRoot", type: "bytes32" },
    { name: "prevHeaderHash", type: "bytes32" },
  ],
};

export function acquisitionDomain(chainId: bigint | number, verifyingContract: string): TypedDataDomain {
  return {
    name: ACQUISITION_DOMAIN_NAME,
    version: ACQUISITION_DOMAIN_VERSION,
    chainId,
    verifyingContract,
  };
}

const headerEncoder = TypedDataEncoder.from(BATCH_HEADER_TYPES);

/** The EIP-712 struct hash of a header: what the next header of the stream carries as `prevHeaderHash`. */
export function hashHeader(header: BatchHeader): string {
  return headerEncoder.hash(header as unknown as Record<string, unknown>);
}

/** The digest a terminal signs (TypedDataEncoder.hash, without re-parsing the header type on every call). */
export function headerDigest(domain: TypedDataDomain, header: BatchHeader): string {
  return keccak256(concat(["0x1901", TypedDataEncoder.hashDomain(domain), hashHeader(header)]));
}

/** Signs a header with a raw private key (no provider round trip), returning the 65-byte signature. */
export function signHeader(privateKey: string | SigningKey, domain: TypedDataDomain, header: BatchHeader): string {
  const key = typeof privateKey === "string" ? new SigningKey(privateKey) : privateKey;
  return Signature.from(key.sign(headerDigest(domain, header))).serialized;
}
