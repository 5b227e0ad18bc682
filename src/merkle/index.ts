/**
 * Fast, OpenZeppelin-compatible Merkle trees and the GridLedger record leaf. See docs/merkle.md.
 * Browser code imports "./portable" instead, which has everything but file I/O.
 */
export * from "./portable";
export { readRecordProof, writeRecordProof } from "./proofFileIo";
