import Database from "better-sqlite3";
import { recordSlices } from "../common/slices";

/** A batch moves built -> signed -> submitted -> confirmed; every step is committed before the next action. */
export type BatchState = "built" | "signed" | "submitted" | "confirmed";

/** A period is generated and validated ("validated"), then anchored ("done"). */
export type PeriodState = "validated" | "done";

export type RecordStatus = "pending" | "anchored" | "quarantined";

export interface JournalRecord {
  recordId: string;
  period: number;
  terminalId: string;
  label: string;
  kind: number;
  timestamp: number;
  leafHash: string;
  status: RecordStatus;
  reason: string | null;
  detail: string | null;
  batchKey: string | null;
  payload: string;
  /** Readings: the value and the validator's forecast in system-load space (MW of the load series). */
  actualNorm: number | null;
  forecastNorm: number | null;
  /** The fault the run injected into this record (ground truth for the report), if any. */
  fault: string | null;
}

export interface JournalBatch {
  batchKey: string;
  period: number;
  dataType: number;
  root: string;
  recordCount: number;
  generatorBus: number;
  terminalId: string;
  state: BatchState;
  header: string | null;
  signature: string | null;
  txHash: string | null;
  nonce: number | null;
  blockNumber: number | null;
  batchId: number | null;
  gasUsed: number | null;
  updatedAt: string;
}

/** What a batch is when the close builds it: nothing signed, sent or mined yet. */
export function builtBatch(
  b: Pick<JournalBatch, "batchKey" | "period" | "dataType" | "root" | "recordCount" | "generatorBus" | "terminalId">,
): Omit<JournalBatch, "updatedAt"> {
  return {
    ...b,
    state: "built",
    header: null,
    signature: null,
    txHash: null,
    nonce: null,
    blockNumber: null,
    batchId: null,
    gasUsed: null,
  };
}

/** A signed terminal package whose records were accepted: what their proofs carry as `package`. */
export interface JournalPackage {
  /** The package signature (0x hex), which also keys it: the same signed package stored twice is one row. */
  signature: string;
  terminalId: string;
  periodStart: number;
  recordCount: number;
  recordsRoot: string;
  /** 32 bytes per record of the package, in package order: rebuilds the package tree for each record's proof. */
  leafHashes: Uint8Array;
}

/** A period's signed packages (each once) and each accepted record's place in one of them. */
export interface PackagePlacement {
  packages: readonly JournalPackage[];
  links: readonly { recordId: string; signature: string; index: number }[];
}

/** A journal's records by fate, and the quarantined ones by reason. */
export interface RecordCounts {
  total: number;
  anchored: number;
  quarantined: number;
  pending: number;
  reasons: Record<string, number>;
}

/** A stored record's signed package (its id in the journal) and its place in it. */
interface RecordPlace {
  packageId: number;
  index: number;
}

const NO_PLACEMENT: PackagePlacement = { packages: [], links: [] };

export interface JournalPeriod {
  period: number;
  state: PeriodState;
  generatorBus: number;
  routing: string;
  tBuildMs: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS periods (
  period INTEGER PRIMARY KEY, state TEXT NOT NULL, generator_bus INTEGER NOT NULL, routing TEXT NOT NULL,
  t_build_ms REAL NOT NULL, updated_at TEXT NOT NULL);
-- package_id and package_index: an accepted record's signed package and its place in it (for its proof's
-- signature), kept in the record's row: a link table cost a second B-tree insert and the 132-character signature
-- again for every record.
CREATE TABLE IF NOT EXISTS records (
  record_id TEXT PRIMARY KEY, period INTEGER NOT NULL, terminal_id TEXT NOT NULL, label TEXT NOT NULL,
  kind INTEGER NOT NULL, timestamp INTEGER NOT NULL, leaf_hash TEXT NOT NULL, status TEXT NOT NULL,
  reason TEXT, detail TEXT, batch_key TEXT, payload TEXT NOT NULL, actual_norm REAL, forecast_norm REAL,
  fault TEXT, package_id INTEGER, package_index INTEGER);
-- Each record's leaf hash (its first 48 bits) by period, written in leaf order once the period's records are in
-- (\`insertLeaves\`). Leaf hashes are random: as an index of \`records\` keyed by period first, each slice of 1,000
-- records stored rewrote most of the period's few hundred index pages, 45 of the 74 MB of WAL a period took at
-- the bench's load; written in order, each page goes to the log about once. An accepted record's period is the
-- one its timestamp falls in, so the door's replay check knows the period; a lookup by leaf alone seeks once per
-- period (the whole hash is compared in the record's row).
CREATE TABLE IF NOT EXISTS record_leaves (
  period INTEGER NOT NULL, leaf_prefix TEXT NOT NULL, record_id TEXT NOT NULL,
  PRIMARY KEY (period, leaf_prefix, record_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_by_batch ON records (batch_key);
-- Records not yet anchored or quarantined: small (the backlog), so marking a period anchored and counting the
-- backlog cost the same however many records the journal holds.
CREATE INDEX IF NOT EXISTS records_pending ON records (period) WHERE status = 'pending';
-- Periods not yet anchored: the anchoring loop's question on every turn, so it must not scan every period.
CREATE INDEX IF NOT EXISTS periods_open ON periods (period) WHERE state != 'done';
CREATE TABLE IF NOT EXISTS batches (
  batch_key TEXT PRIMARY KEY, period INTEGER NOT NULL, data_type INTEGER NOT NULL, root TEXT NOT NULL UNIQUE,
  record_count INTEGER NOT NULL, generator_bus INTEGER NOT NULL, terminal_id TEXT NOT NULL, state TEXT NOT NULL,
  header TEXT, signature TEXT, tx_hash TEXT, nonce INTEGER, block_number INTEGER, batch_id INTEGER,
  gas_used INTEGER, updated_at TEXT NOT NULL);
-- Signed terminal packages of accepted records (an explicit id: VACUUM keeps it, unlike a bare rowid).
CREATE TABLE IF NOT EXISTS signed_packages (
  id INTEGER PRIMARY KEY, signature TEXT NOT NULL UNIQUE, terminal_id TEXT NOT NULL, period_start INTEGER NOT NULL,
  record_count INTEGER NOT NULL, records_root TEXT NOT NULL, leaf_hashes BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS transitions (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, batch_key TEXT NOT NULL, state TEXT NOT NULL, detail TEXT);
`;

/** Records whose leaf hash is `@leaf`, through record_leaves (`l`; add the period or periods to seek). */
const BY_LEAF = `record_leaves l JOIN records r ON r.record_id = l.record_id
  WHERE l.leaf_prefix = substr(@leaf, 1, 14) AND r.leaf_hash = @leaf`;

/** The part of a leaf hash record_leaves is keyed by (48 bits: "0x" and 12 hex digits). */
const leafPrefix = (leafHash: string) => leafHash.slice(0, 14);

/**
 * Leaf indexes of earlier journal versions, which record_leaves replaced (dropped on open, so they cost no more
 * writes): the whole-hash index, the one on its 48-bit prefix alone, then the one keyed by period first.
 */
const REPLACED_INDEXES = ["records_by_leaf", "records_by_leaf_prefix", "records_by_period_leaf"];

type Row = Record<string, unknown>;

const toRecord = (r: Row): JournalRecord => ({
  recordId: r.record_id as string,
  period: r.period as number,
  terminalId: r.terminal_id as string,
  label: r.label as string,
  kind: r.kind as number,
  timestamp: r.timestamp as number,
  leafHash: r.leaf_hash as string,
  status: r.status as RecordStatus,
  reason: (r.reason as string | null) ?? null,
  detail: (r.detail as string | null) ?? null,
  batchKey: (r.batch_key as string | null) ?? null,
  payload: r.payload as string,
  actualNorm: (r.actual_norm as number | null) ?? null,
  forecastNorm: (r.forecast_norm as number | null) ?? null,
  fault: (r.fault as string | null) ?? null,
});

const toBatch = (r: Row): JournalBatch => ({
  batchKey: r.batch_key as string,
  period: r.period as number,
  dataType: r.data_type as number,
  root: r.root as string,
  recordCount: r.record_count as number,
  generatorBus: r.generator_bus as number,
  terminalId: r.terminal_id as string,
  state: r.state as BatchState,
  header: (r.header as string | null) ?? null,
  signature: (r.signature as string | null) ?? null,
  txHash: (r.tx_hash as string | null) ?? null,
  nonce: (r.nonce as number | null) ?? null,
  blockNumber: (r.block_number as number | null) ?? null,
  batchId: (r.batch_id as number | null) ?? null,
  gasUsed: (r.gas_used as number | null) ?? null,
  updatedAt: r.updated_at as string,
});

const toPackage = (r: Row): JournalPackage => {
  const blob = r.leaf_hashes as Buffer;
  return {
    signature: r.signature as string,
    terminalId: r.terminal_id as string,
    periodStart: r.period_start as number,
    recordCount: r.record_count as number,
    recordsRoot: r.records_root as string,
    leafHashes: new Uint8Array(blob.buffer, blob.byteOffset, blob.length),
  };
};

/**
 * A period's records in leaf order, for record_leaves (what makes its pages go to the log about once; the order
 * is not needed for correctness): doubles holding the leaf's leading bits above the record's index, sorted
 * natively. Sorting the entries as strings took 75-160 ms for 54,420 records, in one turn of the event loop; the
 * keys are noted slice by slice and sorted in about 5 ms.
 */
class LeafOrder {
  private readonly keys: Float64Array;
  private readonly indexScale: number;
  private readonly prefixDivisor: number;

  constructor(private readonly records: readonly JournalRecord[]) {
    this.keys = new Float64Array(records.length);
    const indexBits = Math.max(1, Math.ceil(Math.log2(records.length + 1)));
    this.indexScale = 2 ** indexBits;
    // 53 bits in a double: as many of the leaf's leading 48 bits as leave room for the index.
    this.prefixDivisor = 2 ** Math.max(0, indexBits - 5);
  }

  /** Notes the keys of records [from, to). */
  note(from: number, to: number): void {
    for (let i = from; i < to; i++)
      this.keys[i] =
        Math.floor(parseInt(this.records[i].leafHash.substring(2, 14), 16) / this.prefixDivisor) * this.indexScale + i;
  }

  sort(): void {
    this.keys.sort();
  }

  /** The k-th record in leaf order (once sorted). */
  at(k: number): JournalRecord {
    return this.records[this.keys[k] % this.indexScale];
  }

  get length(): number {
    return this.records.length;
  }
}

/** How a long store is cut: records per transaction, and what to await between two transactions. */
export interface SliceOptions {
  sliceRecords: number;
  pause: () => Promise<void>;
}

/** Record places mapped between two pauses of `recordPeriodInSlices` (about 10 ms of work). */
const LINKS_PER_PAUSE = 10_000;

/** Each linked record's package (by the journal ids of the packages' signatures) and index, by record id. */
function placeLinks(
  links: PackagePlacement["links"],
  ids: ReadonlyMap<string, number>,
  placed = new Map<string, RecordPlace>(),
): Map<string, RecordPlace> {
  for (const { recordId, signature, index } of links) {
    const packageId = ids.get(signature);
    if (packageId === undefined)
      throw new Error(`record ${recordId}: its package ${signature} is not among the period's`);
    placed.set(recordId, { packageId, index });
  }
  return placed;
}

/**
 * The run's durable journal (embedded SQLite, WAL with synchronous=FULL: a committed step survives a crash or
 * power cut). It holds every input record with its fate, every batch with its state, and each period's routing.
 */
export class Journal {
  protected readonly db: Database.Database;

  private readonly statements = new Map<string, Database.Statement>();

  /**
   * The records by fate, counted once (a scan of every record) and then kept up to date by this writer's own
   * writes: `/v1/health` asks on every probe, and a scan per probe held the gateway's event loop for longer the
   * more records the journal held. Dropped (counted again when next asked) after a rare write it does not track.
   */
  private tally: RecordCounts | undefined;
  private readonly readOnly: boolean;

  /** `readOnly` opens an existing journal as a second reader (WAL: it never blocks the writer). */
  constructor(
    readonly path: string,
    opts: { readOnly?: boolean } = {},
  ) {
    this.readOnly = opts.readOnly ?? false;
    if (opts.readOnly) {
      this.db = new Database(path, { readonly: true, fileMustExist: true });
      return;
    }
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    // The indexes' pages a long-running writer touches (random record ids and leaf hashes) stay in memory; with
    // the default 2 MB every lookup and insert re-read index pages through the OS once the journal grew. Bounded.
    this.db.pragma("cache_size = -65536");
    this.db.exec(SCHEMA);
    this.migrateLeafIndex();
    this.migratePackageLinks();
  }

  /** A journal of an earlier version indexes leaves in `records`: its record_leaves are filled once, on open. */
  private migrateLeafIndex(): void {
    const indexes = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all() as string[];
    const replaced = REPLACED_INDEXES.filter((name) => indexes.includes(name));
    if (replaced.length === 0) return;
    this.db.transaction(() => {
      this.db.exec(`INSERT OR IGNORE INTO record_leaves (period, leaf_prefix, record_id)
                    SELECT period, substr(leaf_hash, 1, 14), record_id FROM records
                    ORDER BY period, substr(leaf_hash, 1, 14)`);
      for (const index of replaced) this.db.exec(`DROP INDEX ${index}`);
    })();
  }

  /**
   * A journal of an earlier version keeps its links in a table of their own, by package signature, and its
   * signed packages without an id: moved into the records' rows once, when it is opened.
   */
  private migratePackageLinks(): void {
    const columns = (table: string) =>
      new Set((this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
    const hasLinkTable = this.db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'record_packages'")
      .get();
    if (!hasLinkTable && columns("signed_packages").has("id")) return;
    this.db.transaction(() => {
      if (!columns("signed_packages").has("id")) {
        this.db.exec(`
          ALTER TABLE signed_packages RENAME TO signed_packages_unnumbered;
          ${SCHEMA.slice(SCHEMA.indexOf("CREATE TABLE IF NOT EXISTS signed_packages"), SCHEMA.indexOf("CREATE TABLE IF NOT EXISTS transitions"))}
          INSERT INTO signed_packages (id, signature, terminal_id, period_start, record_count, records_root, leaf_hashes)
            SELECT rowid, signature, terminal_id, period_start, record_count, records_root, leaf_hashes
            FROM signed_packages_unnumbered;
          DROP TABLE signed_packages_unnumbered;`);
      }
      const recordColumns = columns("records");
      for (const column of ["package_id", "package_index"])
        if (!recordColumns.has(column)) this.db.exec(`ALTER TABLE records ADD COLUMN ${column} INTEGER`);
      if (hasLinkTable) {
        this.db.exec(`
          UPDATE records SET package_id = p.id, package_index = l.package_index
            FROM record_packages l JOIN signed_packages p ON p.signature = l.signature
            WHERE l.record_id = records.record_id;
          DROP TABLE record_packages;`);
      }
    })();
  }

  close(): void {
    this.db.close();
  }

  /** A statement prepared once per SQL text: preparing costs more than running the small per-record queries. */
  protected sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) this.statements.set(text, (statement = this.db.prepare(text)));
    return statement;
  }

  getMeta<T>(key: string): T | undefined {
    const row = this.sql("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  setMeta(key: string, value: unknown): void {
    this.db
      .prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .run(key, JSON.stringify(value));
  }

  period(period: number): JournalPeriod | undefined {
    const r = this.sql("SELECT * FROM periods WHERE period = ?").get(period) as Row | undefined;
    return (
      r && {
        period: r.period as number,
        state: r.state as PeriodState,
        generatorBus: r.generator_bus as number,
        routing: r.routing as string,
        tBuildMs: r.t_build_ms as number,
      }
    );
  }

  periods(): JournalPeriod[] {
    return (this.sql("SELECT * FROM periods ORDER BY period").all() as Row[]).map((r) => ({
      period: r.period as number,
      state: r.state as PeriodState,
      generatorBus: r.generator_bus as number,
      routing: r.routing as string,
      tBuildMs: r.t_build_ms as number,
    }));
  }

  /** Periods not yet anchored ("validated"), oldest first: a query on an index, however long the journal. */
  openPeriods(): number[] {
    return (this.sql("SELECT period FROM periods WHERE state != 'done' ORDER BY period").all() as Row[]).map(
      (r) => r.period as number,
    );
  }

  /**
   * Stores a validated period atomically: its records (with their fate and, for accepted ones, their place in their
   * signed package), its signed packages, its batches and its routing.
   */
  recordPeriod(
    p: JournalPeriod,
    records: readonly JournalRecord[],
    batches: readonly Omit<JournalBatch, "updatedAt">[],
    commit?: () => void,
    placement: PackagePlacement = NO_PLACEMENT,
  ): void {
    this.db.transaction(() => {
      this.insertRecords(records, this.placeRecords(placement));
      const order = new LeafOrder(records);
      order.note(0, records.length);
      order.sort();
      this.insertLeaves(order);
      this.insertPeriodHead(p, batches, commit);
    })();
    this.countStored(records);
  }

  /**
   * Stores a validated period like `recordPeriod`, but its records in transactions of `sliceRecords`, awaiting
   * `pause` between them so a long-running writer (the gateway) keeps serving meanwhile (`recordRecordsInSlices`).
   * The period's head (its row, batches and `commit`) goes last: records of a period without a head are a store
   * cut short by a crash, which `dropHeadlessRecords` removes before the period is stored again.
   */
  async recordPeriodInSlices(
    p: JournalPeriod,
    records: readonly JournalRecord[],
    batches: readonly Omit<JournalBatch, "updatedAt">[],
    opts: SliceOptions & { commit?: () => void; placement?: PackagePlacement },
  ): Promise<void> {
    await this.recordRecordsInSlices(records, opts);
    this.recordPeriodHead(p, batches, opts.commit);
  }

  /** Stores a period's head alone: its row and batches, with `commit` in the same transaction. */
  recordPeriodHead(p: JournalPeriod, batches: readonly Omit<JournalBatch, "updatedAt">[], commit?: () => void): void {
    this.db.transaction(() => this.insertPeriodHead(p, batches, commit))();
  }

  /**
   * Stores a period's records in transactions of `sliceRecords`, awaiting `pause` between them; the signed
   * packages go in first, in slices of as many records, and each record's place in its package with the record.
   * Committed without waiting for the disk (`unsynced`): the commit that makes them count syncs them.
   */
  async recordRecordsInSlices(
    records: readonly JournalRecord[],
    opts: SliceOptions & { placement?: PackagePlacement },
  ): Promise<void> {
    const { packages, links } = opts.placement ?? NO_PLACEMENT;
    // The packages' leaf hashes are megabytes a period: they go in slices of as many records too.
    // Every step but the first waits for `pause`.
    let steps = 0;
    const step = () => (steps++ > 0 ? opts.pause() : Promise.resolve());
    const ids = new Map<string, number>();
    for (const slice of recordSlices(packages, opts.sliceRecords)) {
      await step();
      this.unsynced(() => this.db.transaction(() => this.storePackages(slice, ids))());
    }
    // Each record's place, a map of tens of thousands, is built in parts too.
    const placed = new Map<string, RecordPlace>();
    for (let i = 0; i < links.length; i += LINKS_PER_PAUSE) {
      await step();
      placeLinks(links.slice(i, i + LINKS_PER_PAUSE), ids, placed);
    }
    const order = new LeafOrder(records);
    for (let i = 0; i < records.length; i += opts.sliceRecords) {
      await step();
      const end = Math.min(i + opts.sliceRecords, records.length);
      const slice = records.slice(i, end);
      this.unsynced(() => this.db.transaction(() => this.insertRecords(slice, placed))());
      this.countStored(slice);
      order.note(i, end);
    }
    // Then their leaves, in leaf order, so each of the period's leaf pages goes to the log about once.
    order.sort();
    for (let k = 0; k < records.length; k += opts.sliceRecords) {
      await step();
      const end = Math.min(k + opts.sliceRecords, records.length);
      this.unsynced(() => this.db.transaction(() => this.insertLeaves(order, k, end))());
    }
  }

  /** Runs `write` in one transaction (synchronous=FULL: durable when it returns). */
  transaction<T>(write: () => T): T {
    return this.db.transaction(write)();
  }

  /**
   * Stores the signed packages (each once, however often stored: a package resent, or a period stored again after
   * a crash) and gives each linked record's package id and index, by record id.
   */
  private placeRecords({ packages, links }: PackagePlacement): Map<string, RecordPlace> {
    const ids = new Map<string, number>();
    this.storePackages(packages, ids);
    return placeLinks(links, ids);
  }

  /** Stores signed packages (each once, see `placeRecords`) and notes their journal ids by signature. */
  private storePackages(packages: readonly JournalPackage[], ids: Map<string, number>): void {
    const insertPackage = this.sql(
      `INSERT OR IGNORE INTO signed_packages (signature, terminal_id, period_start, record_count, records_root, leaf_hashes)
       VALUES (@signature, @terminalId, @periodStart, @recordCount, @recordsRoot, @leafHashes)`,
    );
    const idOf = this.sql("SELECT id FROM signed_packages WHERE signature = ?").pluck();
    for (const p of packages) {
      insertPackage.run({ ...p, leafHashes: Buffer.from(p.leafHashes) });
      ids.set(p.signature, idOf.get(p.signature) as number);
    }
  }

  /**
   * Runs a write whose durability comes from a later commit (a period's records, slice by slice, before the head that
   * makes them count): committed without waiting for the disk. In WAL mode a commit appends to one log, in order, so
   * the later synchronous=FULL commit syncs these pages with it; a power cut before it loses at most writes that
   * recovery would drop anyway (records without a head, anchored marks of a period not done).
   */
  protected unsynced<T>(write: () => T): T {
    this.db.pragma("synchronous = NORMAL");
    try {
      return write();
    } finally {
      this.db.pragma("synchronous = FULL");
    }
  }

  /** Removes the records of periods whose store was cut short (see `recordPeriodInSlices`); returns how many. */
  dropHeadlessRecords(): number {
    this.tally = undefined;
    // Their places in their packages go with them; the packages stay, to be found again when the period is stored.
    this.db.prepare("DELETE FROM record_leaves WHERE period NOT IN (SELECT period FROM periods)").run();
    return this.db.prepare("DELETE FROM records WHERE period NOT IN (SELECT period FROM periods)").run().changes;
  }

  /** Notes the leaves of records [from, to) in leaf order (see record_leaves; a record stored again keeps its one). */
  private insertLeaves(order: LeafOrder, from = 0, to = order.length): void {
    const insert = this.sql("INSERT OR IGNORE INTO record_leaves (period, leaf_prefix, record_id) VALUES (?, ?, ?)");
    for (let k = from; k < to; k++) {
      const r = order.at(k);
      insert.run(r.period, leafPrefix(r.leafHash), r.recordId);
    }
  }

  private insertRecords(records: readonly JournalRecord[], placed: ReadonlyMap<string, RecordPlace>): void {
    // Positional parameters: binding fifteen named ones from each record object cost a third of the insert.
    const insertRecord = this.sql(
      `INSERT INTO records (record_id, period, terminal_id, label, kind, timestamp, leaf_hash, status, reason, detail, batch_key, payload, actual_norm, forecast_norm, fault, package_id, package_index)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const r of records) {
      const place = placed.get(r.recordId);
      insertRecord.run(
        r.recordId,
        r.period,
        r.terminalId,
        r.label,
        r.kind,
        r.timestamp,
        r.leafHash,
        r.status,
        r.reason,
        r.detail,
        r.batchKey,
        r.payload,
        r.actualNorm,
        r.forecastNorm,
        r.fault,
        place?.packageId ?? null,
        place?.index ?? null,
      );
    }
  }

  private insertPeriodHead(p: JournalPeriod, batches: readonly Omit<JournalBatch, "updatedAt">[], commit?: () => void) {
    const now = new Date().toISOString();
    const insertBatch = this.sql(
      `INSERT INTO batches (batch_key, period, data_type, root, record_count, generator_bus, terminal_id, state, updated_at)
       VALUES (@batchKey, @period, @dataType, @root, @recordCount, @generatorBus, @terminalId, @state, @now)`,
    );
    this.sql(
      "INSERT INTO periods (period, state, generator_bus, routing, t_build_ms, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(p.period, p.state, p.generatorBus, p.routing, p.tBuildMs, now);
    for (const b of batches) {
      insertBatch.run({ ...b, now });
      this.logTransition(b.batchKey, b.state, `root ${b.root}`, now);
    }
    commit?.();
  }

  /** The package and position of every record of a batch that has one, by record id. */
  packagesOfBatch(batchKey: string): Map<string, { pkg: JournalPackage; index: number }> {
    const rows = this.sql(
      `SELECT r.record_id, r.package_index, p.* FROM records r JOIN signed_packages p ON p.id = r.package_id
       WHERE r.batch_key = ?`,
    ).all(batchKey) as Row[];
    const byKey = new Map<string, JournalPackage>();
    const out = new Map<string, { pkg: JournalPackage; index: number }>();
    for (const r of rows) {
      const key = r.signature as string;
      let pkg = byKey.get(key);
      if (!pkg) byKey.set(key, (pkg = toPackage(r)));
      out.set(r.record_id as string, { pkg, index: r.package_index as number });
    }
    return out;
  }

  /** The package and position of one record (a proof asked for through the gateway's API); undefined if none. */
  packageOfRecord(recordId: string): { pkg: JournalPackage; index: number } | undefined {
    const r = this.sql(
      `SELECT r.package_index, p.* FROM records r JOIN signed_packages p ON p.id = r.package_id
       WHERE r.record_id = ?`,
    ).get(recordId) as Row | undefined;
    return r && { pkg: toPackage(r), index: r.package_index as number };
  }

  batches(where: { period?: number; state?: BatchState } = {}): JournalBatch[] {
    const clauses: string[] = [];
    const args: unknown[] = [];
    if (where.period !== undefined) (clauses.push("period = ?"), args.push(where.period));
    if (where.state !== undefined) (clauses.push("state = ?"), args.push(where.state));
    const sql = `SELECT * FROM batches ${clauses.length ? `WHERE ${clauses.join(" AND ")}` : ""} ORDER BY period, data_type`;
    return (this.sql(sql).all(...args) as Row[]).map(toBatch);
  }

  /** Moves a batch to a new state with the fields that state adds, and logs the transition. */
  updateBatch(
    batchKey: string,
    state: BatchState,
    fields: Partial<
      Pick<
        JournalBatch,
        | "header"
        | "signature"
        | "txHash"
        | "nonce"
        | "blockNumber"
        | "batchId"
        | "gasUsed"
        | "terminalId"
        | "generatorBus"
      >
    >,
    detail?: string,
  ): void {
    const now = new Date().toISOString();
    const columns: Record<string, string> = {
      header: "header",
      signature: "signature",
      txHash: "tx_hash",
      nonce: "nonce",
      blockNumber: "block_number",
      batchId: "batch_id",
      gasUsed: "gas_used",
      terminalId: "terminal_id",
      generatorBus: "generator_bus",
    };
    const sets = ["state = @state", "updated_at = @now"];
    for (const key of Object.keys(fields)) sets.push(`${columns[key]} = @${key}`);
    this.db.transaction(() => {
      this.db
        .prepare(`UPDATE batches SET ${sets.join(", ")} WHERE batch_key = @batchKey`)
        .run({ ...fields, state, now, batchKey });
      this.logTransition(batchKey, state, detail, now);
    })();
  }

  /** Marks a period anchored, and every pending record of its confirmed batches as anchored. */
  completePeriod(period: number): void {
    const marked = this.db.transaction(() => {
      const n = this.markAnchored(period, -1);
      this.markPeriodDone(period);
      return n;
    })();
    this.countAnchored(marked);
  }

  /**
   * `completePeriod` in transactions of `sliceRecords`, awaiting `pause` between them (the gateway keeps serving).
   * Cut short by a crash, it leaves records of confirmed batches anchored and the period not done: proving the
   * period again finishes it.
   */
  async completePeriodInSlices(period: number, opts: SliceOptions) {
    for (;;) {
      const marked = this.unsynced(() => this.markAnchored(period, opts.sliceRecords));
      this.countAnchored(marked);
      if (marked !== opts.sliceRecords) break;
      await opts.pause();
    }
    this.markPeriodDone(period);
  }

  /** Marks up to `limit` (-1: all) pending records of the period's confirmed batches anchored; returns how many. */
  private markAnchored(period: number, limit: number): number {
    return this.sql(
      `UPDATE records SET status = 'anchored' WHERE rowid IN (
         SELECT rowid FROM records
         WHERE period = ? AND status = 'pending' AND batch_key IN (SELECT batch_key FROM batches WHERE state = 'confirmed')
         LIMIT ?)`,
    ).run(period, limit).changes;
  }

  private markPeriodDone(period: number): void {
    this.sql("UPDATE periods SET state = 'done', updated_at = ? WHERE period = ?").run(
      new Date().toISOString(),
      period,
    );
  }

  /** Puts a period back to "validated" with its unconfirmed batches' records pending again (resume after loss). */
  reopenPeriod(period: number): void {
    this.tally = undefined;
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE records SET status = 'pending'
           WHERE period = ? AND status = 'anchored' AND batch_key IN (SELECT batch_key FROM batches WHERE state != 'confirmed')`,
        )
        .run(period);
      this.db
        .prepare("UPDATE periods SET state = 'validated', updated_at = ? WHERE period = ?")
        .run(new Date().toISOString(), period);
    })();
  }

  records(
    where: {
      period?: number;
      sincePeriod?: number;
      batchKey?: string;
      status?: RecordStatus;
      terminalId?: string;
    } = {},
  ): JournalRecord[] {
    const clauses: string[] = [];
    const args: unknown[] = [];
    if (where.sincePeriod !== undefined) (clauses.push("period >= ?"), args.push(where.sincePeriod));
    if (where.terminalId !== undefined) (clauses.push("terminal_id = ?"), args.push(where.terminalId));
    if (where.period !== undefined) (clauses.push("period = ?"), args.push(where.period));
    if (where.batchKey !== undefined) (clauses.push("batch_key = ?"), args.push(where.batchKey));
    if (where.status !== undefined) (clauses.push("status = ?"), args.push(where.status));
    const sql = `SELECT * FROM records ${clauses.length ? `WHERE ${clauses.join(" AND ")}` : ""} ORDER BY period, rowid`;
    return (this.sql(sql).all(...args) as Row[]).map(toRecord);
  }

  /**
   * Whether a record with this leaf hash was accepted (anchored or pending, not quarantined) in `period`: the
   * period its timestamp falls in, the only one an accepted record with this leaf (its timestamp included) can be in.
   */
  hasAcceptedLeaf(leafHash: string, period: number): boolean {
    return (
      this.sql(`SELECT 1 FROM ${BY_LEAF} AND l.period = @period AND r.status != 'quarantined' LIMIT 1`).get({
        leaf: leafHash,
        period,
      }) !== undefined
    );
  }

  hasRecordId(recordId: string): boolean {
    return this.sql("SELECT 1 FROM records WHERE record_id = ?").get(recordId) !== undefined;
  }

  /**
   * Which of these record ids the journal holds, in one query: a period's close asks for thousands, and one
   * statement per id cost about 11 us each (a read lock and a call per id), 40% of the close's CPU.
   */
  recordIdsTaken(recordIds: readonly string[]): Set<string> {
    if (recordIds.length === 0) return new Set();
    const rows = this.sql("SELECT record_id FROM records WHERE record_id IN (SELECT value FROM json_each(?))")
      .pluck()
      .all(JSON.stringify(recordIds)) as string[];
    return new Set(rows);
  }

  batchByKey(batchKey: string): JournalBatch | undefined {
    const r = this.sql("SELECT * FROM batches WHERE batch_key = ?").get(batchKey) as Row | undefined;
    return r && toBatch(r);
  }

  batchByRoot(root: string): JournalBatch | undefined {
    const r = this.sql("SELECT * FROM batches WHERE lower(root) = ?").get(root.toLowerCase()) as Row | undefined;
    return r && toBatch(r);
  }

  /** A record by its id or by its leaf hash. */
  findRecord(idOrLeaf: string): JournalRecord | undefined {
    const byId = this.sql("SELECT * FROM records WHERE record_id = ?").get(idOrLeaf) as Row | undefined;
    const r =
      byId ??
      // One seek per stored period, oldest first (a period's records always come with its row).
      (this.sql(
        `SELECT r.* FROM ${BY_LEAF} AND l.period IN (SELECT period FROM periods) ORDER BY l.period LIMIT 1`,
      ).get({ leaf: idOrLeaf.toLowerCase() }) as Row | undefined);
    return r && toRecord(r);
  }

  /** Records by fate, and the quarantined ones by reason (most frequent first). */
  counts(): RecordCounts {
    if (this.readOnly) return this.countRecords();
    this.tally ??= this.countRecords();
    const { reasons, ...byStatus } = this.tally;
    const sorted = Object.entries(reasons)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1]);
    return { ...byStatus, reasons: Object.fromEntries(sorted) };
  }

  /** `counts` from the records themselves: a scan of every record. */
  private countRecords(): RecordCounts {
    const byStatus = this.sql("SELECT status, COUNT(*) AS n FROM records GROUP BY status").all() as {
      status: RecordStatus;
      n: number;
    }[];
    const get = (s: RecordStatus) => byStatus.find((r) => r.status === s)?.n ?? 0;
    const reasons: Record<string, number> = {};
    for (const r of this.db
      .prepare("SELECT reason, COUNT(*) AS n FROM records WHERE status = 'quarantined' GROUP BY reason ORDER BY n DESC")
      .all() as { reason: string; n: number }[]) {
      reasons[r.reason] = r.n;
    }
    const anchored = get("anchored");
    const quarantined = get("quarantined");
    const pending = get("pending");
    return { total: anchored + quarantined + pending, anchored, quarantined, pending, reasons };
  }

  /** Adds committed records to the tally. */
  private countStored(records: readonly JournalRecord[]): void {
    const t = this.tally;
    if (!t) return;
    for (const r of records) {
      t.total++;
      t[r.status]++;
      if (r.status === "quarantined") t.reasons[r.reason ?? "null"] = (t.reasons[r.reason ?? "null"] ?? 0) + 1;
    }
  }

  /** Moves committed anchored marks from pending to anchored in the tally. */
  private countAnchored(marked: number): void {
    if (!this.tally) return;
    this.tally.pending -= marked;
    this.tally.anchored += marked;
  }

  private logTransition(batchKey: string, state: BatchState, detail: string | undefined, at: string): void {
    this.db
      .prepare("INSERT INTO transitions (at, batch_key, state, detail) VALUES (?, ?, ?, ?)")
      .run(at, batchKey, state, detail ?? null);
  }
}
