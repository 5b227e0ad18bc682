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
  const events = await acquisition.queryFilter(acquisition.filters.BatchAnchored(undefined, terminalId), fromBlock);
  let state = GENESIS;
  for (const e of events) {
    if (e.args.sequence > state.sequence) state = { sequence: e.args.sequence, headerHash: e.args.headerHash };
  }
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
