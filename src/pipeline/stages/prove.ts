import { join } from "node:path";
import { buildBatchProofs } from "../../chain/proofs";
import { writeBatchProofs } from "../../chain/proofs.node";
import { FastMerkleTree, parseRecord, type GridRecord } from "../../merkle";
import type { Journal, JournalBatch } from "../journal";
import type { ChainSetup } from "./context";

/** What proving reads: the journal, where the batches are anchored, and where proof files go. */
export interface ProveContext {
  journal: Journal;
  chain: Pick<ChainSetup, "chainId" | "contracts">;
  proofsDir: string;
}

/** A confirmed batch's records, rebuilt from the journal (the journal is the source of truth). */
export function batchRecords(ctx: Pick<ProveContext, "journal">, batchKey: string): GridRecord[] {
  return ctx.journal
    .records({ batchKey })
    .map((r) =>
      parseRecord(
        { terminalId: r.terminalId, kind: r.kind, timestamp: r.timestamp, payload: JSON.parse(r.payload) },
        r.recordId,
      ),
    );
}

/** The proof document of a confirmed batch: every record with its Merkle proof and where the root is anchored. */
export function batchProofDocument(ctx: Pick<ProveContext, "journal" | "chain">, b: JournalBatch) {
  const records = batchRecords(ctx, b.batchKey);
  const tree = FastMerkleTree.ofRecords(records);
  if (tree.root !== b.root.toLowerCase())
    throw new Error(`${b.batchKey}: journal records rebuild root ${tree.root}, not ${b.root}`);
  return buildBatchProofs(tree, records, {
    batchId: b.batchId!,
    blockNumber: b.blockNumber!,
    chainId: Number(ctx.chain.chainId),
    contract: ctx.chain.contracts.DataAcquisition as `0x${string}`,
    txHash: b.txHash! as `0x${string}`,
  });
}

/** Writes the proofs of every record of the period's confirmed batches, one file per batch (reads the journal only). */
export function writePeriodProofs(ctx: ProveContext, period: number): void {
  for (const b of ctx.journal.batches({ period, state: "confirmed" }))
    writeBatchProofs(join(ctx.proofsDir, `${b.batchKey}.json`), batchProofDocument(ctx, b));
}

/**
 * Stage "prove": writes the proofs of every record of the period's confirmed batches (one file per batch),
 * then marks the period done and its records anchored.
 */
export function provePeriod(ctx: ProveContext, period: number): void {
  writePeriodProofs(ctx, period);
  ctx.journal.completePeriod(period);
}
