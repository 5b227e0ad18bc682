import { join } from "node:path";
import { ThreadClient } from "../common/threads";
import type { Dataset } from "./dataset";
import type { ValidatorModel } from "./model";
import type { RefitFit, RefitRunner } from "./refit";

export type RefitJob = { base: ValidatorModel; rows: Dataset; maxRows: number };

/**
 * The rolling refit's SVR and ELM fits on a worker thread (a `RefitRunner`). A weekly refit is seconds of CPU
 * (3.5 s for 3,000 rows on the pipeline's machine); on a gateway's event loop it held every acknowledgement
 * meanwhile. The caller still awaits the new model before it validates on, so verdicts are the same as in-process
 * (a restarted gateway's replay gives the same models). A crashed thread fails its job and is started again on
 * the next one; an idle one does not keep the process alive.
 */
export class RefitThread {
  private readonly thread = new ThreadClient<RefitJob, RefitFit>(
    join(__dirname, "refitThreadMain"),
    "refit thread",
    undefined,
    { unref: true },
  );

  /**
   * The runner to hand to `RollingRefit` (or `createValidateStage`'s `refitRunner`). The rows are copied, not
   * moved: a year of rows is under a megabyte, and the caller's arrays may share buffers.
   */
  readonly run: RefitRunner = (base, rows, maxRows) => this.thread.call({ base, rows, maxRows });

  close(): Promise<void> {
    return this.thread.close();
  }
}
