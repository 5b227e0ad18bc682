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
import { packageStruct, recoverPackageSigner } from "./packages";
import { listBatches, type AnchoredBatch } from "./streams";
import { TERMINAL_KIND_NAMES, TERMINAL_STATUS_NAMES } from "./types";

/**
 * The outcome of a check, for programs (the `reason` is for people): anchored; tampered (a proof exists for the
 * same terminal, kind and timestamp, but the record differs); not found (no proof for it); invalid proof (the
 * proof file does not add up); not anchored (the root is not on this chain); unsigned (the proof carries no
 * terminal package signature); wrong signer (the package was not signed by the key the record's terminal held at the
 * record's time); rejected (the contract says no).
 */
export type Verdict =
  "anchored" | "tampered" | "not-found" | "invalid-proof" | "not-anchored" | "unsigned" | "wrong-signer" | "rejected";

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
  /** Who signed the record's package, and the key its terminal held at the record's time (registry history). */
  signature?: { signer: string; expected: string; periodStart: number };
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
  const pkg = proof.package;
  if (!pkg) {
    return {
      anchored: false,
      verdict: "unsigned",
      reason: `UNSIGNED: the proof carries no package signature, so nothing shows that terminal ${record.terminalId} produced this record (root ${proof.root} is anchored as batch ${stored.batchId})`,
      leafHash,
      proof,
    };
  }
  const expected = (await core.registry.signerAt(record.terminalId, record.timestamp)).toLowerCase();
  const signer = recoverPackageSigner(pkg.chainId, pkg, pkg.signature) ?? "an invalid signature";
  const signature = { signer, expected, periodStart: pkg.periodStart };
  if (signer !== expected) {
    const held = BigInt(expected) === 0n ? "no key" : expected;
    return {
      anchored: false,
      verdict: "wrong-signer",
      reason: `WRONG SIGNER: the record's package was signed by ${signer}, but terminal ${record.terminalId} held ${held} at ${new Date(record.timestamp * 1000).toISOString()} (registry signer history)`,
      leafHash,
      proof,
      signature,
    };
  }
  // By root, and with the signature: the contract re-checks the leaf, both proofs and the signer history itself.
  const onChain = await core.acquisition.verifySignedRecord(
    proof.root,
    proof.proof,
    leafStruct(proof.leaf),
    packageStruct(pkg),
    pkg.proof,
    pkg.signature,
  );
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
      ? `ANCHORED in batch ${stored.batchId} (tx ${batch?.txHash ?? "?"}, block ${stored.blockNumber}), signed by terminal ${record.terminalId}'s key ${signer}`
      : `REJECTED by the contract: verifySignedRecord refuses the record for root ${proof.root} (batch ${stored.batchId})`,
    leafHash,
    proof,
    batch,
    terminal,
    signature,
  };
}
