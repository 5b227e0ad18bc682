import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { BATCH_PROOFS_FORMAT, type BatchProofs } from "../chain/proofs";
import { BatchTree, parseRecord, type BatchInfo, type RecordProof } from "../merkle";
import type { Journal, JournalBatch, JournalRecord } from "../pipeline/journal";
import { PackageTree } from "../chain/packages";
import { batchRecords, packageProofOf } from "../pipeline/stages/prove";
import type { ChainSetup } from "../pipeline/stages/context";

/** Where a batch's tree is stored: `<proofsDir>/<batchKey>.tree`, its 2n-1 nodes of 32 bytes, root first. */
export const treeFilePath = (proofsDir: string, batchKey: string) => join(proofsDir, `${batchKey}.tree`);

/**
 * Writes a batch tree durably: a temporary file, fsync, then a rename, so a reader or a crash never sees half a
 * tree. The close writes it before the journal commits the period, so a stored batch has its tree on disk.
 */
export function writeTreeFile(path: string, nodes: Uint8Array): void {
  const fd = openSync(`${path}.part`, "w");
  try {
    for (let at = 0; at < nodes.length;) at += writeSync(fd, nodes, at, nodes.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(`${path}.part`, path);
}

/** The tree of each batch (leaf hashes, 32 bytes each), written to its file; returns the roots. */
export function writeBatchTrees(proofsDir: string, batches: readonly { batchKey: string; hashes: Uint8Array }[]) {
  return batches.map(({ batchKey, hashes }) => {
    const tree = BatchTree.build(hashes);
    writeTreeFile(treeFilePath(proofsDir, batchKey), tree.nodes);
    return tree.root;
  });
}

/**
 * Every record's proof, derived from its batch's stored tree: the gateway stores one tree per batch at close
 * (a few MB for 50,000 records) instead of writing proof documents after confirmation. A tree file that is
 * missing or does not hold the journaled root (a data dir restored without it, a gateway of an earlier release)
 * is rebuilt from the journal's records, which stay the source of truth, and written again. Each proof carries
 * the record's signed terminal package from the journal; a record journaled before package signatures were
 * (an earlier release's data dir) gets a proof without one, which verifiers report as unsigned.
 */
export class ProofStore {
  private readonly cache = new Map<string, BatchTree>();

  constructor(
    private readonly journal: Journal,
    private readonly proofsDir: string,
    private readonly chain: Pick<ChainSetup, "chainId" | "contracts">,
    private readonly cacheSize = 8,
  ) {}

  /** The batch's tree, checked against its journaled root. */
  tree(batch: JournalBatch): BatchTree {
    const root = batch.root.toLowerCase();
    const hit = this.cache.get(batch.batchKey);
    if (hit?.root === root) return hit;
    const path = treeFilePath(this.proofsDir, batch.batchKey);
    let tree = readTree(path);
    if (tree?.root !== root) {
      tree = BatchTree.ofRecords(batchRecords({ journal: this.journal }, batch.batchKey));
      if (tree.root !== root)
        throw new Error(`${batch.batchKey}: journal records rebuild root ${tree.root}, not ${batch.root}`);
      writeTreeFile(path, tree.nodes);
    }
    this.cache.delete(batch.batchKey);
    this.cache.set(batch.batchKey, tree);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return tree;
  }

  /** Where a confirmed batch is anchored (the stamp of each of its proofs). */
  batchInfo(batch: JournalBatch): BatchInfo {
    if (batch.state !== "confirmed") throw new Error(`${batch.batchKey} is ${batch.state}, not confirmed`);
    return {
      batchId: batch.batchId!,
      blockNumber: batch.blockNumber!,
      chainId: Number(this.chain.chainId),
      contract: this.chain.contracts.DataAcquisition as `0x${string}`,
      txHash: batch.txHash! as `0x${string}`,
    };
  }

  /** An anchored record's proof; undefined while its batch is not confirmed. */
  recordProof(r: JournalRecord, batch: JournalBatch): RecordProof | undefined {
    if (batch.state !== "confirmed" || r.batchKey !== batch.batchKey) return undefined;
    const record = parseRecord(
      { terminalId: r.terminalId, kind: r.kind, timestamp: r.timestamp, payload: JSON.parse(r.payload) },
      r.recordId,
    );
    const at = this.journal.packageOfRecord(r.recordId);
    const pkg = at && packageProofOf(Number(this.chain.chainId), at);
    const proof = this.tree(batch).recordProof(record, this.batchInfo(batch), pkg);
    if (!proof) throw new Error(`${batch.batchKey}: record ${r.recordId} is not a leaf of the batch's tree`);
    return proof;
  }

  /** A confirmed batch's proofs document (every record with its proof, the `grid:anchor` proofs format). */
  batchDocument(batch: JournalBatch): BatchProofs {
    const info = this.batchInfo(batch);
    const tree = this.tree(batch);
    const ids = this.journal.records({ batchKey: batch.batchKey }).map((r) => r.recordId);
    const placed = this.journal.packagesOfBatch(batch.batchKey);
    const trees = new Map<string, PackageTree>();
    const chainId = Number(this.chain.chainId);
    const proofs = batchRecords({ journal: this.journal }, batch.batchKey).map((record, i) => {
      const at = placed.get(ids[i]);
      const proof = tree.recordProof(record, info, at && packageProofOf(chainId, at, trees));
      if (!proof) throw new Error(`${batch.batchKey}: record ${i} is not a leaf of the batch's tree`);
      return proof;
    });
    return { format: BATCH_PROOFS_FORMAT, root: tree.root, batch: info, proofs };
  }
}

function readTree(path: string): BatchTree | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return undefined;
  }
  try {
    return new BatchTree(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), path);
  } catch {
    return undefined;
  }
}
