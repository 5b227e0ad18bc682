import { join } from "node:path";
import { ThreadClient } from "../common/threads";

/** Where the thread writes the batch trees. */
export interface MerkleThreadSetup {
  proofsDir: string;
}

export interface TreeJob {
  batchKey: string;
  /** Leaf hashes, 32 bytes each. */
  hashes: Uint8Array;
}

/**
 * The gateway's Merkle work on a worker thread: a closing period's batch trees (sorting and hashing tens of
 * thousands of leaves, then the tree file each record's proof is read from; see batchTrees.ts). On the gateway's
 * event loop it held every acknowledgement meanwhile. The journal's one writer stays the caller.
 */
export class MerkleThread {
  private readonly thread: ThreadClient<TreeJob[], string[]>;

  constructor(setup: MerkleThreadSetup) {
    this.thread = new ThreadClient(join(__dirname, "merkleThreadMain"), "Merkle thread", setup);
  }

  /**
   * Builds each batch's tree, writes it durably to `<proofsDir>/<batchKey>.tree` and resolves with the roots; the
   * leaf-hash buffers move to the thread (emptied here).
   */
  trees(batches: TreeJob[]): Promise<string[]> {
    return this.thread.call(
      batches,
      batches.map((b) => b.hashes.buffer as ArrayBuffer),
    );
  }

  /**
   * Starts the thread and resolves once it has loaded (a tree job of no batches): started on first use, its
   * start-up (1.7 s under ts-node) fell into the first period's close and made its anchoring late by a third of a
   * period.
   */
  async ready(): Promise<void> {
    await this.thread.call([]);
  }

  /** Whether the thread is running. */
  get started(): boolean {
    return this.thread.started;
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
