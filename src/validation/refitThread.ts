import { extname, join } from "node:path";
import { Worker } from "node:worker_threads";
import type { Dataset } from "./dataset";
import type { ValidatorModel } from "./model";
import type { RefitFit, RefitRunner } from "./refit";

export type RefitJob = { id: number; base: ValidatorModel; rows: Dataset; maxRows: number };
export type RefitReply = { id: number; fit?: RefitFit; error?: string };

/**
 * The rolling refit's SVR and ELM fits on a worker thread (a `RefitRunner`). A weekly refit is seconds of CPU
 * (3.5 s for 3,000 rows on the pipeline's machine); on a gateway's event loop it held every acknowledgement
 * meanwhile. The caller still awaits the new model before it validates on, so verdicts are the same as in-process
 * (a restarted gateway's replay gives the same models). A crashed thread fails its job and is started again on
 * the next one.
 */
export class RefitThread {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (f: RefitFit) => void; reject: (e: Error) => void }>();

  /** The runner to hand to `RollingRefit` (or `createValidateStage`'s `refitRunner`). */
  readonly run: RefitRunner = (base, rows, maxRows) => {
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<RefitFit>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // Copied, not moved: a year of rows is under a megabyte, and the caller's arrays may share buffers.
      worker.postMessage({ id, base, rows, maxRows } satisfies RefitJob);
    });
  };

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private spawn(): Worker {
    // Under ts-node (hardhat tasks, tests) the thread registers it too: threads do not inherit require hooks.
    const entry = join(__dirname, `refitThreadMain${extname(__filename)}`);
    const worker = entry.endsWith(".ts")
      ? new Worker(
          `require("ts-node").register({ transpileOnly: true, projectSearchDir: ${JSON.stringify(__dirname)} });
           require(${JSON.stringify(entry)});`,
          { eval: true },
        )
      : new Worker(entry);
    worker.unref();
    worker.on("message", (reply: RefitReply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (reply.error === undefined) waiter?.resolve(reply.fit!);
      else waiter?.reject(new Error(`refit thread: ${reply.error}`));
    });
    const failAll = (e: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    worker.on("error", (e) => failAll(new Error(`refit thread crashed: ${e.message}`)));
    worker.on("exit", (code) => failAll(new Error(`refit thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
