import { extname, join } from "node:path";
import { Worker } from "node:worker_threads";

/** Where the thread writes the batch trees. */
export interface MerkleThreadSetup {
  proofsDir: string;
}

export interface TreeJob {
  batchKey: string;
  /** Leaf hashes, 32 bytes each. */
  hashes: Uint8Array;
}
export type MerkleJob = { id: number; batches: TreeJob[] };
export type MerkleReply = { id: number; roots?: string[]; error?: string };

/**
 * The gateway's Merkle work on a worker thread: a closing period's batch trees (sorting and hashing tens of
 * thousands of leaves, then the tree file each record's proof is read from; see batchTrees.ts). On the gateway's
 * event loop it held every acknowledgement meanwhile. The journal's one writer stays the caller.
 */
export class MerkleThread {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: MerkleReply) => void; reject: (e: Error) => void }>();

  constructor(private readonly setup: MerkleThreadSetup) {}

  /**
   * Builds each batch's tree, writes it durably to `<proofsDir>/<batchKey>.tree` and resolves with the roots; the
   * leaf-hash buffers move to the thread (emptied here).
   */
  async trees(batches: TreeJob[]): Promise<string[]> {
    const reply = await this.run(
      batches,
      batches.map((b) => b.hashes.buffer as ArrayBuffer),
    );
    return reply.roots!;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private run(batches: TreeJob[], transfer: ArrayBuffer[]): Promise<MerkleReply> {
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, batches } satisfies MerkleJob, transfer);
    });
  }

  private spawn(): Worker {
    // Under ts-node (hardhat tasks, tests) the thread registers it too: threads do not inherit require hooks.
    const entry = join(__dirname, `merkleThreadMain${extname(__filename)}`);
    const worker = entry.endsWith(".ts")
      ? new Worker(
          `require("ts-node").register({ transpileOnly: true, projectSearchDir: ${JSON.stringify(__dirname)} });
           require(${JSON.stringify(entry)});`,
          { eval: true, workerData: this.setup },
        )
      : new Worker(entry, { workerData: this.setup });
    worker.on("message", (reply: MerkleReply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (reply.error === undefined) waiter?.resolve(reply);
      else waiter?.reject(new Error(`Merkle thread: ${reply.error}`));
    });
    const failAll = (e: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    worker.on("error", (e) => failAll(new Error(`Merkle thread crashed: ${e.message}`)));
    worker.on("exit", (code) => failAll(new Error(`Merkle thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
