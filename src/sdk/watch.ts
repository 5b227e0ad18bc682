/**
 * Watching BatchAnchored events by polling block numbers and logs. It needs nothing but `eth_blockNumber` and
 * `eth_getLogs`, so it works the same over HTTP JSON-RPC, WebSocket, a browser wallet and Hardhat's in-process
 * provider, and it survives node restarts that drop server-side filters (which `contract.on` relies on).
 */
import type { Provider } from "ethers";
import type { DataAcquisition } from "../chain/contracts";
import { listBatches, type AnchoredBatch } from "../chain/streams";

export interface WatchBatchesOptions {
  /**
   * First block to report batches from. Default: only batches in blocks after the current head. Pass 0 to
   * replay every batch since genesis first, then follow new ones.
   */
  fromBlock?: number;
  /** How often to poll, in milliseconds (default 1000; anvil and Hardhat mine instantly, so 250 is fine). */
  pollIntervalMs?: number;
  /** Report a batch only once it has this many blocks on top of it (default 0: as soon as it is mined). */
  confirmations?: number;
  /** Most blocks per `eth_getLogs` call, for nodes that cap log ranges (default 5000). */
  maxBlockRange?: number;
  /**
   * Called when a poll fails (the watcher retries the same blocks on the next poll) or `onBatch` throws (that
   * batch is not delivered again). Default: console.warn.
   */
  onError?: (error: unknown) => void;
}

/** Stops a subscription. Safe to call more than once. */
export type Unsubscribe = () => void;

/**
 * Calls `onBatch` once for every batch anchored from `fromBlock` on, oldest first, in block order. Returns a
 * function that stops watching. `onBatch` may be async: the next poll waits for it.
 */
export function watchBatches(
  acquisition: DataAcquisition,
  provider: Provider,
  onBatch: (batch: AnchoredBatch) => void | Promise<void>,
  options: WatchBatchesOptions = {},
): Unsubscribe {
  const interval = options.pollIntervalMs ?? 1000;
  const confirmations = options.confirmations ?? 0;
  const maxRange = Math.max(1, options.maxBlockRange ?? 5000);
  const onError = options.onError ?? ((e: unknown) => console.warn("watchBatches:", e));
  let next = options.fromBlock;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function poll(): Promise<void> {
    const head = (await provider.getBlockNumber()) - confirmations;
    // Without a start block, begin after the head seen at subscription time.
    next ??= head + 1;
    while (!stopped && next <= head) {
      const to = Math.min(head, next + maxRange - 1);
      const batches = await listBatches(acquisition, { fromBlock: next, toBlock: to });
      for (const batch of batches) {
        if (stopped) return;
        // A failing callback is reported, not retried: each batch is delivered once.
        try {
          await onBatch(batch);
        } catch (e) {
          onError(e);
        }
      }
      next = to + 1;
    }
  }

  function schedule(delay: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      poll()
        .catch((e: unknown) => {
          if (!stopped) onError(e);
        })
        .finally(() => schedule(interval));
    }, delay);
  }

  schedule(0);
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}
