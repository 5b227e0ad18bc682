// Entry of the rolling refit's worker thread (see refitThread.ts).
import { serveThread } from "../common/threads";
import type { RefitJob } from "./refitThread";
import { refitModel } from "./train";

serveThread(Promise.resolve(), (job: RefitJob) => refitModel(job.base, job.rows, job.maxRows));
