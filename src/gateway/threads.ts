import { extname, join } from "node:path";
import { parentPort, Worker, type Transferable } from "node:worker_threads";

/**
 * Starts the gateway thread whose entry is `<name>` next to this module (`.ts` under ts-node, `.js` once built).
 * Under ts-node (hardhat tasks, tests) the thread registers it too: threads do not inherit require hooks.
 */
function spawnThread(name: string, workerData: unknown): Worker {
  const entry = join(__dirname, `${name}${extname(__filename)}`);
  return entry.endsWith(".ts")
    ? new Worker(
        `require("ts-node").register({ transpileOnly: true, projectSearchDir: ${JSON.stringify(__dirname)} });
         require(${JSON.stringify(entry)});`,
        { eval: true, workerData },
      )
    : new Worker(entry, { workerData });
}

/** A reply of a gateway thread: what it computed, or why it could not. */
export type ThreadReply<R> = { id: number; result?: R; error?: string };

/**
 * Calls into a gateway worker thread (started on first use, started again after a crash): each call posts a job
 * and resolves with the thread's result for it; a crash fails the calls in flight.
 */
export class ThreadClient<J, R> {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: R) => void; reject: (e: Error) => void }>();

  /** @param name the entry module next to this one; @param label how errors name the thread. */
  constructor(
    private readonly name: string,
    private readonly label: string,
    private readonly workerData: unknown,
  ) {}

  call(job: J, transfer: Transferable[] = []): Promise<R> {
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, job }, transfer);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private spawn(): Worker {
    const worker = spawnThread(this.name, this.workerData);
    worker.on("message", (reply: ThreadReply<R>) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (reply.error === undefined) waiter?.resolve(reply.result as R);
      else waiter?.reject(new Error(`${this.label}: ${reply.error}`));
    });
    const failAll = (e: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    worker.on("error", (e) => failAll(new Error(`${this.label} crashed: ${e.message}`)));
    worker.on("exit", (code) => failAll(new Error(`${this.label} exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

/**
 * The thread side of a ThreadClient: runs each job once `ready` resolves and posts its result, moving the buffers
 * `transfer` names, or the error's message.
 */
export function serveThread<J, R>(
  ready: Promise<unknown>,
  work: (job: J) => R,
  transfer: (result: R) => Transferable[] = () => [],
): void {
  parentPort!.on("message", ({ id, job }: { id: number; job: J }) => {
    ready
      .then(() => work(job))
      .then(
        (result) => parentPort!.postMessage({ id, result } satisfies ThreadReply<R>, transfer(result)),
        (e: Error) => parentPort!.postMessage({ id, error: e.message } satisfies ThreadReply<R>),
      );
  });
}
