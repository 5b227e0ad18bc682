import { join } from "node:path";
import { ThreadClient } from "../common/threads";
import type { GatewayJournal } from "./inbox";

/** What one checkpoint did: WAL frames in the log and frames copied into the database (SQLite's figures). */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

/**
 * The journal's WAL checkpoints, on a worker thread with a connection of its own. By default SQLite checkpoints on
 * the committing connection whenever the log passes 1,000 pages (4 MB), and the gateway writes tens of MB a period:
 * several times a period one of its commits copied the log into the database and synced it on the event loop
 * (50-115 ms each, every acknowledgement waiting). A passive checkpoint from another connection runs alongside the
 * writer (WAL mode), and the writer restarts the log once it is all copied. The writer keeps a far threshold of
 * its own (`GatewayJournal.delegateCheckpoints`), should this thread stop.
 */
export class CheckpointThread {
  private readonly thread: ThreadClient<null, CheckpointResult>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<CheckpointResult> | undefined;

  constructor(
    journal: GatewayJournal,
    private readonly everyMs: number,
    private readonly log: (message: string) => void,
  ) {
    this.thread = new ThreadClient(join(__dirname, "checkpointThreadMain"), "checkpoint thread", journal.path);
    journal.delegateCheckpoints();
  }

  /** Checkpoints every `everyMs`; a failure is logged and the next turn tries again (on a new thread if it died). */
  start(): void {
    this.timer = setInterval(() => {
      if (!this.running) this.checkpoint().catch((e: Error) => this.log(`journal checkpoint failed: ${e.message}`));
    }, this.everyMs);
    this.timer.unref();
  }

  /** One passive checkpoint now (or the one under way). */
  checkpoint(): Promise<CheckpointResult> {
    this.running ??= this.thread.call(null).finally(() => (this.running = undefined));
    return this.running;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    await this.thread.close();
  }
}
