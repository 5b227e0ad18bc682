import { join } from "node:path";
import { buildBatchProofs } from "../../chain/proofs";
import { writeBatchProofs } from "../../chain/proofs.node";
import { PackageTree } from "../../chain/packages";
import { FastMerkleTree, parseRecord, type GridRecord, type Hex, type PackageProof } from "../../merkle";
import type { Journal, JournalBatch, JournalPackage } from "../journal";
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
  const chainId = Number(ctx.chain.chainId);
  const recordIds = ctx.journal.records({ batchKey: b.batchKey }).map((r) => r.recordId);
  const placed = ctx.journal.packagesOfBatch(b.batchKey);
  const trees = new Map<string, PackageTree>();
  // Every record carries its terminal's package signature, so a verifier checks who produced it from the file alone.
  const packages = recordIds.map((id): PackageProof => {
    const at = placed.get(id);
    if (!at) throw new Error(`${b.batchKey}: record ${id} has no signed package in the journal`);
    return packageProofOf(chainId, at, trees);
  });
  return buildBatchProofs(
    tree,
    records,
    {
      batchId: b.batchId!,
      blockNumber: b.blockNumber!,
      chainId,
      contract: ctx.chain.contracts.DataAcquisition as `0x${string}`,
      txHash: b.txHash! as `0x${string}`,
    },
    packages,
  );
}

/**
 * The signed package that covers a record, with the record's path in the package tree (`trees` caches the trees
 * of packages several records share).
 */
export function packageProofOf(
  chainId: number,
  at: { pkg: JournalPackage; index: number },
  trees = new Map<string, PackageTree>(),
): PackageProof {
  let packageTree = trees.get(at.pkg.signature);
  if (!packageTree) trees.set(at.pkg.signature, (packageTree = new PackageTree(at.pkg.leafHashes)));
  const { signature, terminalId, periodStart, recordCount, recordsRoot } = at.pkg;
  return {
    chainId,
    terminalId: terminalId as Hex,
    periodStart,
    recordCount,
    recordsRoot: recordsRoot as Hex,
    signature: signature as Hex,
    proof: packageTree.proof(at.index) as Hex[],
  };
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
