import { dirname, extname } from "node:path";
import { parentPort, Worker, type Transferable } from "node:worker_threads";

/**
 * Starts the thread whose entry module is `entry` (a path without its extension: `.ts` under ts-node, `.js` once
 * built, as this module). Under ts-node (hardhat tasks, tests) the thread registers it too: threads do not inherit
 * require hooks.
 */
function spawnThread(entry: string, workerData: unknown): Worker {
  const file = `${entry}${extname(__filename)}`;
  return file.endsWith(".ts")
    ? new Worker(
        `require("ts-node").register({ transpileOnly: true, projectSearchDir: ${JSON.stringify(dirname(file))} });
         require(${JSON.stringify(file)});`,
        { eval: true, workerData },
      )
    : new Worker(file, { workerData });
}

/** A reply of a worker thread: what it computed, or why it could not. */
export type ThreadReply<R> = { id: number; result?: R; error?: string };

/**
 * Calls into a worker thread (started on first use, started again after a crash): each call posts a job and
 * resolves with the thread's result for it; a crash fails the calls in flight.
 */
export class ThreadClient<J, R> {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: R) => void; reject: (e: Error) => void }>();

  /**
   * @param entry the thread's entry module, without its extension; @param label how errors name the thread;
   * @param opts.unref whether an idle thread may let the process exit.
   */
  constructor(
    private readonly entry: string,
    private readonly label: string,
    private readonly workerData: unknown,
    private readonly opts: { unref?: boolean } = {},
  ) {}

  /** Whether the thread is running (it starts on the first call). */
  get started(): boolean {
    return this.worker !== undefined;
  }

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
    const worker = spawnThread(this.entry, this.workerData);
    if (this.opts.unref) worker.unref();
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
  work: (job: J) => R | Promise<R>,
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
