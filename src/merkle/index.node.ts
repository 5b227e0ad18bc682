/**
 * Fast, OpenZeppelin-compatible Merkle trees and the GridLedger record leaf. See docs/merkle.md.
 * Node code that reads or writes proof files imports this; browser code imports "./index" (everything but file I/O).
 */
export * from "./index";
export { readRecordProof, writeRecordProof } from "./proofFile.node";
