/**
 * Fast, OpenZeppelin-compatible Merkle trees and the GridLedger record leaf: everything in src/merkle that runs in
 * any JavaScript runtime (Node and browsers), no Node built-ins. index.node.ts adds proof-file I/O. See docs/merkle.md.
 */
export { AbiEncodeError, compileStaticEncoder, type AbiValue, type StaticEncoder } from "./abi";
export { BatchTree } from "./batchTree";
export { bytesToHex, isHexOfLength, type Hex } from "./hex";
export { findNonJson, NotJsonError, type JsonObject, type JsonValue } from "./json";
export { initMerkle, keccak256Bytes, keccak256Hex } from "./keccak";
export {
  batchInfoSchema,
  checkRecordProof,
  makeRecordProof,
  packageProofSchema,
  parseRecordProof,
  RECORD_PROOF_FORMAT,
  RECORD_PROOF_FORMAT_V1,
  recordProofSchema,
  type BatchInfo,
  type PackageProof,
  type RecordProof,
} from "./proofFile";
export {
  formatIssues,
  hex32Schema,
  jsonObjectSchema,
  LEAF_TYPES,
  leafValuesHash,
  parseRecord,
  payloadHash,
  payloadHashBytes,
  recordLeaf,
  recordLeafHash,
  RecordKind,
  recordKindSchema,
  RecordLeafError,
  recordSchema,
  type GridRecord,
  type LeafTypes,
  type Record,
  type RecordLeaf,
} from "./record";
export {
  FastMerkleTree,
  rootOfLeafHashes,
  type FastMerkleOptions,
  type MultiProof,
  type StandardMerkleTreeData,
} from "./tree";
