import { extname, join } from "node:path";
import { Worker } from "node:worker_threads";

/** What the thread needs to open the journal read-only and write proof files. */
export interface MerkleThreadSetup {
  journalPath: string;
  proofsDir: string;
  chainId: bigint;
  contracts: Record<string, string>;
}

export type MerkleJob = { id: number } & ({ kind: "roots"; hashes: Uint8Array[] } | { kind: "proofs"; period: number });
export type MerkleReply = { id: number; roots?: string[]; error?: string };

/**
 * The gateway's Merkle work on a worker thread: a closing period's batch roots, and a confirmed period's proof
 * files (read through the thread's own read-only journal connection; WAL readers never block the writer). For a
 * busy period each is a second or more of CPU; on the gateway's event loop it held every acknowledgement
 * meanwhile. The journal's one writer stays the caller.
 */
export class MerkleThread {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: MerkleReply) => void; reject: (e: Error) => void }>();

  constructor(private readonly setup: MerkleThreadSetup) {}

  /** The roots of batches given as leaf hashes (32 bytes each); the buffers move to the thread (emptied here). */
  async roots(hashes: Uint8Array[]): Promise<string[]> {
    const reply = await this.run(
      { kind: "roots", hashes },
      hashes.map((h) => h.buffer as ArrayBuffer),
    );
    return reply.roots!;
  }

  /** Resolves once every proof file of the period's confirmed batches is written. */
  async writeProofs(period: number): Promise<void> {
    await this.run({ kind: "proofs", period });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private run(job: Omit<MerkleJob, "id"> & Partial<MerkleJob>, transfer: ArrayBuffer[] = []): Promise<MerkleReply> {
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ ...job, id }, transfer);
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
