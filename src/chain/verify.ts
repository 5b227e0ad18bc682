import {
  checkRecordProof,
  initMerkle,
  recordLeaf,
  recordLeafHash,
  type GridRecord,
  type RecordProof,
} from "../merkle/portable";
import type { CoreContracts } from "./contracts";
import { listBatches, type AnchoredBatch } from "./streams";
import { TERMINAL_KIND_NAMES, TERMINAL_STATUS_NAMES } from "./types";

export interface RecordVerification {
  /** True only when the contract confirms the record is in an anchored batch. */
  anchored: boolean;
  /** One line a person can read: why it is or is not anchored. */
  reason: string;
  leafHash: string;
  batch?: AnchoredBatch;
  terminal?: { id: string; kind: string; status: string; signer: string };
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
    const reason = sameSlot
      ? `TAMPERED: the record differs from the one anchored for terminal ${record.terminalId} at ${record.timestamp} (payload hash ${recordLeaf(record)[3]} != ${sameSlot.leaf[3]})`
      : "NOT FOUND: no proof in the file matches this record";
    return { anchored: false, reason, leafHash };
  }
  const problems = checkRecordProof(proof);
  if (problems.length > 0) return { anchored: false, reason: `INVALID PROOF: ${problems.join("; ")}`, leafHash };

  const stored = await core.acquisition.batchByRoot(proof.root);
  if (stored.anchoredAt === 0n)
    return { anchored: false, reason: `NOT ANCHORED: root ${proof.root} is not on this chain`, leafHash };
  const onChain = await core.acquisition.verifyLeafHash(stored.batchId, proof.proof, leafHash);
  const [batch] = await listBatches(core.acquisition, { batchId: stored.batchId });
  const t = await core.registry.getTerminal(record.terminalId).catch(() => undefined);
  const terminal = t && {
    id: record.terminalId,
    kind: TERMINAL_KIND_NAMES[Number(t.kind)],
    status: TERMINAL_STATUS_NAMES[Number(t.status)],
    signer: t.signer,
  };
  return {
    anchored: onChain,
    reason: onChain
      ? `ANCHORED in batch ${stored.batchId} (tx ${batch?.txHash ?? "?"}, block ${stored.blockNumber})`
      : `REJECTED by the contract: the proof does not lead to batch ${stored.batchId}'s root`,
    leafHash,
    batch,
    terminal,
  };
}
