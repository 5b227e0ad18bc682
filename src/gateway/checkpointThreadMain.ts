// Entry of the journal's checkpoint thread (see checkpointThread.ts).
import Database from "better-sqlite3";
import { workerData } from "node:worker_threads";
import { serveThread } from "../common/threads";
import type { CheckpointResult } from "./checkpointThread";

const db = new Database(workerData as string, { fileMustExist: true });
serveThread(Promise.resolve(), () => (db.pragma("wal_checkpoint(PASSIVE)") as CheckpointResult[])[0]);
