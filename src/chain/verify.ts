import {
  checkRecordProof,
  initMerkle,
  recordLeaf,
  recordLeafHash,
  type GridRecord,
  type RecordLeaf,
  type RecordProof,
} from "../merkle";
import type { CoreContracts } from "./contracts";
import { listBatches, type AnchoredBatch } from "./streams";
import { TERMINAL_KIND_NAMES, TERMINAL_STATUS_NAMES } from "./types";

/**
 * The outcome of a check, for programs (the `reason` is for people): anchored; tampered (a proof exists for the
 * same terminal, kind and timestamp, but the record differs); not found (no proof for it); invalid proof (the
 * proof file does not add up); not anchored (the root is not on this chain); rejected (the contract says no).
 */
export type Verdict = "anchored" | "tampered" | "not-found" | "invalid-proof" | "not-anchored" | "rejected";

export interface RecordVerification {
  /** True only when the contract confirms the record is in an anchored batch. */
  anchored: boolean;
  verdict: Verdict;
  /** One line a person can read: why it is or is not anchored. */
  reason: string;
  leafHash: string;
  /** The proof the record was checked with; for a tampered record, the proof of the record it claims to be. */
  proof?: RecordProof;
  batch?: AnchoredBatch;
  terminal?: { id: string; kind: string; status: string; signer: string };
}

/**
 * A leaf tuple as the contract's RecordLeaf struct. Verifiers send the fields, not the leaf hash: the contract
 * hashes them itself, so no inner node of the tree can pass for a record (`verifyLeafHash` cannot tell).
 */
export function leafStruct([terminalId, kind, timestamp, payloadHash]: RecordLeaf) {
  return { terminalId, kind, timestamp, payloadHash };
}

/**
 * Checks a record against proof files and the chain: finds its proof (by leaf hash), refolds it locally, then
 * asks the contract. A record that differs from the anchored one in any bit is reported as tampered.
 */
export async function verifyRecordOnChain(
  core: CoreContracts,
  record: GridRecord,
  proofs: readonly RecordProof[],
): Promise<RecordVerification> {
  await initMerkle();
  const leafHash = recordLeafHash(record);
  const proof = proofs.find((p) => p.leafHash.toLowerCase() === leafHash);
  if (!proof) {
    const sameSlot = proofs.find(
      (p) =>
        p.leaf[0].toLowerCase() === record.terminalId.toLowerCase() &&
        p.leaf[1] === record.kind &&
        p.leaf[2] === record.timestamp,
    );
    if (sameSlot) {
      return {
        anchored: false,
        verdict: "tampered",
        reason: `TAMPERED: the record differs from the one anchored for terminal ${record.terminalId} at ${record.timestamp} (payload hash ${recordLeaf(record)[3]} != ${sameSlot.leaf[3]})`,
        leafHash,
        proof: sameSlot,
      };
    }
    return {
      anchored: false,
      verdict: "not-found",
      reason: "NOT FOUND: no proof in the file matches this record",
      leafHash,
    };
  }
  const problems = checkRecordProof(proof);
  if (problems.length > 0) {
    return {
      anchored: false,
      verdict: "invalid-proof",
      reason: `INVALID PROOF: ${problems.join("; ")}`,
      leafHash,
      proof,
    };
  }

  const stored = await core.acquisition.batchByRoot(proof.root);
  if (stored.anchoredAt === 0n) {
    return {
      anchored: false,
      verdict: "not-anchored",
      reason: `NOT ANCHORED: root ${proof.root} is not on this chain`,
      leafHash,
      proof,
    };
  }
  const onChain = await core.acquisition.verifyRecord(stored.batchId, proof.proof, leafStruct(proof.leaf));
  const [batch] = await listBatches(core.acquisition, {
    batchId: stored.batchId,
    // The event is in the block that stored the root: one block to scan, not the whole chain.
    fromBlock: Number(stored.blockNumber),
    toBlock: Number(stored.blockNumber),
  });
  const t = await core.registry.getTerminal(record.terminalId).catch(() => undefined);
  const terminal = t && {
    id: record.terminalId,
    kind: TERMINAL_KIND_NAMES[Number(t.kind)],
    status: TERMINAL_STATUS_NAMES[Number(t.status)],
    signer: t.signer,
  };
  return {
    anchored: onChain,
    verdict: onChain ? "anchored" : "rejected",
    reason: onChain
      ? `ANCHORED in batch ${stored.batchId} (tx ${batch?.txHash ?? "?"}, block ${stored.blockNumber})`
      : `REJECTED by the contract: the proof does not lead to batch ${stored.batchId}'s root`,
    leafHash,
    proof,
    batch,
    terminal,
  };
}
