/** Anything that takes raw JSON-RPC calls: ethers JsonRpcProvider, Hardhat's provider, the failover provider. */
export interface RawRpc {
  send(method: string, params: unknown[]): Promise<unknown>;
}

/** A mined transaction as the node reports it now (raw JSON-RPC, so no client-side cache can serve a stale one). */
export interface MinedReceipt {
  hash: string;
  blockNumber: number;
  blockHash: string;
  status: number;
  gasUsed: bigint;
  logs: { address: string; topics: string[]; data: string }[];
}

export type ConfirmationOutcome =
  | { kind: "confirmed"; receipt: MinedReceipt }
  /** Neither mined nor pending any more: a reorganisation dropped it and the node did not keep it. */
  | { kind: "dropped"; lastSeen?: { blockNumber: number; blockHash: string } };

export interface ConfirmationOptions {
  /** Give up (ConfirmationTimeoutError) after this long without reaching the confirmations. */
  timeoutMs: number;
  pollMs?: number;
  log?: (line: string) => void;
}

/** The confirmations did not arrive in time; the transaction may still be pending or mined with fewer. */
export class ConfirmationTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfirmationTimeoutError";
  }
}

interface RawReceipt {
  transactionHash: string;
  blockNumber: string;
  blockHash: string;
  status?: string;
  gasUsed: string;
  logs: { address: string; topics: string[]; data: string }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function toReceipt(r: RawReceipt): MinedReceipt {
  return {
    hash: r.transactionHash,
    blockNumber: Number(r.blockNumber),
    blockHash: r.blockHash,
    status: r.status === undefined ? 1 : Number(r.status),
    gasUsed: BigInt(r.gasUsed),
    logs: r.logs,
  };
}

/** The receipt of a transaction as the node's canonical chain has it now, or null. */
export async function currentReceipt(rpc: RawRpc, txHash: string): Promise<MinedReceipt | null> {
  const r = (await rpc.send("eth_getTransactionReceipt", [txHash])) as RawReceipt | null;
  return r && r.blockHash ? toReceipt(r) : null;
}

/**
 * Waits until `txHash` is `confirmations` blocks deep on the node's canonical chain, following it by hash through
 * reorganisations: a transaction re-mined in another block is followed there, one back in the pool is waited
 * for, and one the chain no longer has at all is reported as "dropped" so the caller can send its content again.
 * Each check reads the block at the receipt's height and compares hashes, so a receipt left over from a
 * replaced block never counts.
 */
export async function awaitConfirmations(
  rpc: RawRpc,
  txHash: string,
  confirmations: number,
  options: ConfirmationOptions,
): Promise<ConfirmationOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  const pollMs = options.pollMs ?? 250;
  let lastSeen: { blockNumber: number; blockHash: string } | undefined;
  for (;;) {
    const receipt = await currentReceipt(rpc, txHash);
    if (!receipt) {
      const pending = await rpc.send("eth_getTransactionByHash", [txHash]);
      if (!pending) return { kind: "dropped", lastSeen };
    } else {
      if (lastSeen && lastSeen.blockHash !== receipt.blockHash)
        options.log?.(
          `${txHash}: re-mined by a reorganisation, now in block ${receipt.blockNumber} (was ${lastSeen.blockNumber})`,
        );
      lastSeen = { blockNumber: receipt.blockNumber, blockHash: receipt.blockHash };
      const head = Number(await rpc.send("eth_blockNumber", []));
      if (head - receipt.blockNumber + 1 >= confirmations) {
        const block = (await rpc.send("eth_getBlockByNumber", [`0x${receipt.blockNumber.toString(16)}`, false])) as {
          hash: string;
        } | null;
        if (block?.hash === receipt.blockHash) return { kind: "confirmed", receipt };
        continue; // the block at that height was just replaced: read the receipt again
      }
    }
    if (Date.now() > deadline)
      throw new ConfirmationTimeoutError(
        `${txHash} did not reach ${confirmations} confirmations within ${Math.round(options.timeoutMs / 1000)} s` +
          (lastSeen ? ` (last seen in block ${lastSeen.blockNumber})` : " (not mined)"),
      );
    await sleep(pollMs);
  }
}

/**
 * Waits until the node's latest block is at least `timestamp` (unix s), for up to `timeoutMs`; returns that block's
 * timestamp, or the latest one seen when the time ran out. On a chain with slow blocks (5 s on a consortium) the
 * latest block lags the wall clock: a window that has just closed is still in the future for the chain until
 * the next block, and a transaction estimated or simulated before then would be refused.
 */
export async function awaitChainTime(rpc: RawRpc, timestamp: number, timeoutMs: number, pollMs = 250): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const block = (await rpc.send("eth_getBlockByNumber", ["latest", false])) as { timestamp: string } | null;
    const now = block ? Number(block.timestamp) : 0;
    if (now >= timestamp || Date.now() > deadline) return now;
    await sleep(pollMs);
  }
}
