import { Journal } from "../pipeline/journal";
import type { HistorySamples } from "../validation/stage";
import type { RejectionReason } from "./wire";

const INBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS packages (
  package_id TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, period INTEGER NOT NULL, record_count INTEGER NOT NULL,
  bytes INTEGER NOT NULL, via TEXT NOT NULL, received_ms INTEGER NOT NULL, processed INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS packages_by_period ON packages (processed, period);
-- The wire bodies apart from the packages' rows: marking a period's packages processed read each body through its
-- overflow pages to rebuild the row (11-15 ms a period at the bench's load, in the commit that makes the period's
-- records count; 2 ms with the bodies apart).
CREATE TABLE IF NOT EXISTS package_bodies (package_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rejections (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, via TEXT NOT NULL, terminal_id TEXT,
  package_id TEXT, reason TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rejections_by_terminal ON rejections (terminal_id, reason);
CREATE TABLE IF NOT EXISTS stage_history (t REAL PRIMARY KEY, load REAL NOT NULL, temperature REAL) WITHOUT ROWID;
`;

/** A package as journaled on arrival: its wire body, to be checked and batched when its period closes. */
export interface InboxPackage {
  packageId: string;
  terminalId: string;
  period: number;
  recordCount: number;
  bytes: number;
  via: string;
  receivedMs: number;
  body: string;
}

/** An inbox package without its body (read slice by slice, `bodiesOf`), and its row. */
export type InboxEntry = Omit<InboxPackage, "body"> & { row: number };

export interface Rejection {
  atMs: number;
  via: string;
  terminalId: string | null;
  packageId: string | null;
  reason: RejectionReason;
  detail: string;
}

type Pending = { kind: "package"; row: InboxPackage } | { kind: "rejection"; row: Rejection };

/**
 * The gateway's journal: the pipeline journal plus an inbox of packages received and the refusals sent.
 * Writes are group-committed: everything handed in during one turn of the event loop goes into one SQLite
 * transaction (WAL, synchronous=FULL), and the returned promises resolve only after that commit, so an
 * acknowledgement sent on resolution is durable.
 */
export class GatewayJournal extends Journal {
  private pending: { item: Pending; resolve: (fresh: boolean) => void; reject: (e: Error) => void }[] = [];
  private flushScheduled = false;
  private readonly insertPackage;
  private readonly insertBody;
  private readonly insertRejection;
  /** Records journaled but not yet anchored or quarantined (the backlog), kept in memory. */
  private backlogRecords = 0;

  constructor(path: string) {
    super(path);
    this.db.exec(INBOX_SCHEMA);
    this.migrateBodies();
    this.insertPackage = this.sql(
      `INSERT OR IGNORE INTO packages (package_id, terminal_id, period, record_count, bytes, via, received_ms)
       VALUES (@packageId, @terminalId, @period, @recordCount, @bytes, @via, @receivedMs)`,
    );
    this.insertBody = this.sql("INSERT INTO package_bodies (package_id, body) VALUES (@packageId, @body)");
    this.insertRejection = this.sql(
      `INSERT INTO rejections (at_ms, via, terminal_id, package_id, reason, detail)
       VALUES (@atMs, @via, @terminalId, @packageId, @reason, @detail)`,
    );
    this.backlogRecords = this.countBacklog();
  }

  /** A journal of an earlier version keeps each body in its package's row: moved to `package_bodies` once, on open. */
  private migrateBodies(): void {
    const columns = this.db.prepare("PRAGMA table_info(packages)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "body")) return;
    this.db.transaction(() => {
      this.db.exec(`INSERT OR IGNORE INTO package_bodies (package_id, body) SELECT package_id, body FROM packages;
                    ALTER TABLE packages DROP COLUMN body;`);
    })();
  }

  /**
   * Leaves WAL checkpoints to another connection (`CheckpointThread`): this writer checkpoints only past
   * `fallbackPages` (64 MB by default), should that connection stop, instead of every 1,000 pages.
   */
  delegateCheckpoints(fallbackPages = 16_384): void {
    this.db.pragma(`wal_autocheckpoint = ${fallbackPages}`);
  }

  /** Journals a package; resolves true when it was new, false when the same package id was there already. */
  addPackage(row: InboxPackage): Promise<boolean> {
    return this.enqueue({ kind: "package", row });
  }

  /** Journals a refusal (so /v1/quarantine and the audit trail show every package the gateway turned away). */
  addRejection(row: Rejection): Promise<boolean> {
    return this.enqueue({ kind: "rejection", row });
  }

  private enqueue(item: Pending): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything pending in one transaction, then settles each caller. */
  flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const fresh: boolean[] = [];
    try {
      this.db.transaction(() => {
        for (const { item } of batch) {
          if (item.kind === "rejection") fresh.push(this.insertRejection.run(item.row).changes === 1);
          else {
            const isNew = this.insertPackage.run(item.row).changes === 1;
            if (isNew) this.insertBody.run(item.row);
            fresh.push(isNew);
          }
        }
      })();
    } catch (e) {
      for (const p of batch) p.reject(e as Error);
      return;
    }
    batch.forEach((p, i) => {
      if (p.item.kind === "package" && fresh[i]) this.backlogRecords += p.item.row.recordCount;
      p.resolve(fresh[i]);
    });
  }

  hasPackage(packageId: string): boolean {
    return this.sql("SELECT 1 FROM packages WHERE package_id = ?").get(packageId) !== undefined;
  }

  /**
   * Unprocessed packages of a period, in arrival order (the order they were journaled in), without their bodies:
   * a period's bodies are megabytes, read in one query they held the event loop for a tenth of a second
   * (`bodiesOf` reads them slice by slice). `afterRow`: only those journaled after that row.
   */
  inboxOf(period: number, afterRow = 0): InboxEntry[] {
    return this.sql(
      `SELECT rowid AS row, package_id AS packageId, terminal_id AS terminalId, period, record_count AS recordCount,
              bytes, via, received_ms AS receivedMs
         FROM packages WHERE processed = 0 AND period = ? AND rowid > ? ORDER BY rowid`,
    ).all(period, afterRow) as InboxEntry[];
  }

  /** The bodies of inbox entries, in the order given. */
  bodiesOf(entries: readonly InboxEntry[]): string[] {
    const bodyOf = this.sql("SELECT body FROM package_bodies WHERE package_id = ?").pluck();
    return entries.map((e) => bodyOf.get(e.packageId) as string);
  }

  /** Periods that have unprocessed packages, oldest first. */
  inboxPeriods(): number[] {
    return (
      this.sql("SELECT DISTINCT period FROM packages WHERE processed = 0 ORDER BY period").all() as {
        period: number;
      }[]
    ).map((r) => r.period);
  }

  /**
   * Whether a stored period still awaits its records: the gateway stores a period's head (batches) first, so it
   * is anchored while its records are stored, and marks its inbox processed once they are all in.
   */
  awaitsRecords(period: number): boolean {
    return this.sql("SELECT 1 FROM packages WHERE processed = 0 AND period = ? LIMIT 1").get(period) !== undefined;
  }

  /**
   * Removes the records of periods whose store was cut short: those without a head, and those whose head is stored
   * but whose inbox is not yet processed (`awaitsRecords`). Returns how many.
   */
  override dropHeadlessRecords(): number {
    const awaiting =
      "SELECT DISTINCT k.period FROM packages k JOIN periods p ON p.period = k.period WHERE k.processed = 0";
    this.sql(`DELETE FROM record_leaves WHERE period IN (${awaiting})`).run();
    const dropped = this.sql(`DELETE FROM records WHERE period IN (${awaiting})`).run().changes;
    return dropped + super.dropHeadlessRecords();
  }

  /** Marks a period's packages processed (called inside the transaction that makes the period's records count). */
  markProcessed(period: number): void {
    this.sql("UPDATE packages SET processed = 1 WHERE processed = 0 AND period = ?").run(period);
  }

  /** When the first package of a period arrived (for the received -> anchored lag). */
  firstReceivedMs(period: number): number | undefined {
    const r = this.sql("SELECT MIN(received_ms) AS t FROM packages WHERE period = ?").get(period) as {
      t: number | null;
    };
    return r.t ?? undefined;
  }

  /** A package's row, processed or not. */
  packageOf(packageId: string): (InboxPackage & { processed: boolean }) | undefined {
    const r = this.db
      .prepare(
        `SELECT package_id AS packageId, terminal_id AS terminalId, period, record_count AS recordCount, bytes, via,
                received_ms AS receivedMs, b.body, processed
           FROM packages JOIN package_bodies b USING (package_id) WHERE package_id = ?`,
      )
      .get(packageId) as (InboxPackage & { processed: number }) | undefined;
    return r && { ...r, processed: r.processed === 1 };
  }

  rejections(where: { terminalId?: string; reason?: string; limit?: number } = {}): Rejection[] {
    const clauses: string[] = [];
    const args: unknown[] = [];
    if (where.terminalId) (clauses.push("terminal_id = ?"), args.push(where.terminalId.toLowerCase()));
    if (where.reason) (clauses.push("reason = ?"), args.push(where.reason));
    const sql = `SELECT at_ms AS atMs, via, terminal_id AS terminalId, package_id AS packageId, reason, detail
                 FROM rejections ${clauses.length ? `WHERE ${clauses.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
    return this.sql(sql).all(...args, where.limit ?? 1000) as Rejection[];
  }

  /** Records journaled and not yet anchored or quarantined: in the inbox, or in batches not yet confirmed. */
  backlog(): number {
    return this.backlogRecords;
  }

  /** Recounts the backlog from the tables (after a period is stored or anchored). */
  refreshBacklog(): number {
    this.backlogRecords = this.countBacklog();
    return this.backlogRecords;
  }

  private countBacklog(): number {
    const inbox = this.db
      .prepare("SELECT COALESCE(SUM(record_count), 0) AS n FROM packages WHERE processed = 0")
      .get() as {
      n: number;
    };
    // A period's records being stored are counted in the inbox until it is marked processed.
    const pending = this.sql(
      `SELECT COUNT(*) AS n FROM records WHERE status = 'pending'
         AND period NOT IN (SELECT DISTINCT period FROM packages WHERE processed = 0)`,
    ).get() as { n: number };
    return inbox.n + pending.n;
  }

  /**
   * Stores the validate stage's history samples given (each later than those stored) and drops those before
   * `keepFrom`: the history of its snapshot, kept here so a period's snapshot carries only its new samples.
   */
  appendStageHistory(samples: HistorySamples, keepFrom: number): void {
    const insert = this.sql("INSERT OR REPLACE INTO stage_history (t, load, temperature) VALUES (?, ?, ?)");
    const { timestamps, load, temperature } = samples;
    // NaN (no temperature known) is stored as NULL.
    for (let i = 0; i < timestamps.length; i++) insert.run(timestamps[i], load[i], temperature[i]);
    this.sql("DELETE FROM stage_history WHERE t < ?").run(keepFrom);
  }

  /** The validate stage's history samples stored, oldest first. */
  stageHistory(): HistorySamples {
    const out: HistorySamples = { timestamps: [], load: [], temperature: [] };
    for (const r of this.sql("SELECT t, load, temperature FROM stage_history ORDER BY t").raw().iterate() as Iterable<
      [number, number, number | null]
    >) {
      out.timestamps.push(r[0]);
      out.load.push(r[1]);
      out.temperature.push(r[2] ?? NaN);
    }
    return out;
  }

  /** Forgets the stored history (a stage that was rebuilt by replay stores its own from scratch). */
  clearStageHistory(): void {
    this.sql("DELETE FROM stage_history").run();
  }

  /** Records by a query of the read API. */
  recordsPage(where: { status?: string; terminalId?: string; reason?: string; limit: number; offset: number }) {
    const clauses: string[] = [];
    const args: unknown[] = [];
    if (where.status) (clauses.push("status = ?"), args.push(where.status));
    if (where.terminalId) (clauses.push("terminal_id = ?"), args.push(where.terminalId));
    if (where.reason) (clauses.push("reason = ?"), args.push(where.reason));
    const sql = `SELECT record_id AS recordId, period, terminal_id AS terminalId, label, kind, timestamp, leaf_hash AS leafHash,
                        status, reason, detail, batch_key AS batchKey
                 FROM records ${clauses.length ? `WHERE ${clauses.join(" AND ")}` : ""}
                 ORDER BY rowid DESC LIMIT ? OFFSET ?`;
    return this.sql(sql).all(...args, where.limit, where.offset) as Record<string, unknown>[];
  }

  /** Confirmed batches, newest first. */
  batchesPage(limit: number, offset: number) {
    return this.db
      .prepare(
        `SELECT batch_key AS batchKey, period, data_type AS dataType, root, record_count AS recordCount,
                terminal_id AS terminalId, state, tx_hash AS txHash, block_number AS blockNumber, batch_id AS batchId,
                gas_used AS gasUsed, updated_at AS updatedAt
         FROM batches ORDER BY period DESC, data_type LIMIT ? OFFSET ?`,
      )
      .all(limit, offset) as Record<string, unknown>[];
  }
}
