import { ZeroHash } from "ethers";
import type { DataAcquisition } from "./contracts";

/** Where a stream (one terminal's chain of headers) stands: its last sequence and header hash. */
export interface StreamState {
  sequence: bigint;
  headerHash: string;
}

export const GENESIS: StreamState = { sequence: 0n, headerHash: ZeroHash };

/**
 * Reads a stream's tip from its BatchAnchored events (the contract stores only a commitment to it), and checks
 * it against that commitment so a node that drops old logs cannot mislead us.
 */
export async function readStreamState(
  acquisition: DataAcquisition,
  terminalId: string,
  fromBlock = 0,
): Promise<StreamState> {
  const [anchored, resets] = await Promise.all([
    acquisition.queryFilter(acquisition.filters.BatchAnchored(undefined, terminalId), fromBlock),
    acquisition.queryFilter(acquisition.filters.StreamReset(terminalId), fromBlock),
  ]);
  // In chain order: each anchored batch extends the tip of its time, and an admin reset (after a stolen key
  // anchored ahead) moves it, so the latest event decides, not the highest sequence.
  const events = [...anchored, ...resets].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  let state = GENESIS;
  for (const e of events) state = { sequence: e.args.sequence, headerHash: e.args.headerHash };
  const next = state.sequence + 1n;
  if (!(await acquisition.extendsStream(terminalId, next, state.headerHash))) {
    throw new Error(
      `stream ${terminalId}: events show sequence ${state.sequence}, but the contract's tip disagrees ` +
        `(are logs before block ${fromBlock} missing?)`,
    );
  }
  return state;
}

/** One anchored batch as seen in its BatchAnchored event. */
export interface AnchoredBatch {
  batchId: bigint;
  terminalId: string;
  merkleRoot: string;
  dataType: number;
  sequence: bigint;
  windowStart: bigint;
  windowEnd: bigint;
  recordCount: number;
  headerHash: string;
  txHash: string;
  blockNumber: number;
}

/** Lists anchored batches from events, optionally for one terminal or one root, oldest first. */
export async function listBatches(
  acquisition: DataAcquisition,
  filter: { terminalId?: string; merkleRoot?: string; batchId?: bigint; fromBlock?: number; toBlock?: number } = {},
): Promise<AnchoredBatch[]> {
  const events = await acquisition.queryFilter(
    acquisition.filters.BatchAnchored(filter.batchId, filter.terminalId, filter.merkleRoot),
    filter.fromBlock ?? 0,
    filter.toBlock,
  );
  return events.map((e) => ({
    batchId: e.args.batchId,
    terminalId: e.args.terminalId,
    merkleRoot: e.args.merkleRoot,
    dataType: Number(e.args.dataType),
    sequence: e.args.sequence,
    windowStart: e.args.windowStart,
    windowEnd: e.args.windowEnd,
    recordCount: Number(e.args.recordCount),
    headerHash: e.args.headerHash,
    txHash: e.transactionHash,
    blockNumber: e.blockNumber,
  }));
}

/**
 * The Merkle root a user's batch reference names: a 0x root (checked to be anchored), or a batch id, looked up in
 * its BatchAnchored event. Contracts and files store the root: ids follow inclusion order and a reorg can swap two.
 */
export async function resolveBatchRoot(acquisition: DataAcquisition, ref: string | number | bigint): Promise<string> {
  const s = String(ref).trim();
  if (/^0x[0-9a-fA-F]{64}$/.test(s)) {
    if ((await acquisition.batchByRoot(s)).anchoredAt === 0n)
      throw new Error(`root ${s} is not anchored on this chain`);
    return s.toLowerCase();
  }
  if (!/^[1-9]\d*$/.test(s)) throw new Error(`a batch is a 0x Merkle root (64 hex digits) or a batch id, got "${s}"`);
  const [batch] = await listBatches(acquisition, { batchId: BigInt(s) });
  if (!batch) throw new Error(`batch ${s} is not anchored on this chain`);
  return batch.merkleRoot.toLowerCase();
}
