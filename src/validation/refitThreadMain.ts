// Entry of the rolling refit's worker thread (see refitThread.ts).
import { parentPort } from "node:worker_threads";
import type { RefitJob, RefitReply } from "./refitThread";
import { refitModel } from "./train";

parentPort!.on("message", (job: RefitJob) => {
  refitModel(job.base, job.rows, job.maxRows).then(
    (fit) => parentPort!.postMessage({ id: job.id, fit } satisfies RefitReply),
    (e: Error) => parentPort!.postMessage({ id: job.id, error: e.message } satisfies RefitReply),
  );
});
