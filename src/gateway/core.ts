import type { ValidateStage } from "../validation/stage";
import type { DirectoryEntry } from "../pipeline/ingest";
import { leafHashHex, type TerminalPackage } from "../pipeline/packages";
import { NodeUnavailableError } from "../pipeline/sender";
import { anchorPeriod } from "../pipeline/stages/anchor";
import { batchKeyOf, batchLeaves, preparePeriod, type BatchLeaves, type Election } from "../pipeline/stages/batch";
import type { JournalBatch } from "../pipeline/journal";
import {
  admitPackages,
  replayJournal,
  validateRecordsAsync,
  type CheckContext,
  type CheckedRecord,
  type IncomingPackage,
  type ReadingProfile,
} from "../pipeline/stages/check";
import { periodWindow, type PipelineContext } from "../pipeline/stages/context";
import { reconcile } from "../pipeline/stages/reconcile";
import { checkPackageDoor, type DoorChecks } from "../pipeline/ingest";
import { recordSlices } from "../common/slices";
import { yieldToIo } from "../common/turns";
import { writeBatchTrees } from "./batchTrees";
import type { GatewayJournal } from "./inbox";
import type { TreeJob } from "./merkleThread";
export { GATEWAY_DEFAULTS } from "./options";
import {
  decodePackage,
  doorPackage,
  fromWire,
  packageFromJournal,
  PackageRejected,
  wirePackageSchema,
  type DecodedPackage,
  type DoorPackage,
} from "./wire";

/** How the gateway batches time and how much it holds while the node is away. */
export interface GatewayPolicy {
  periodSeconds: number;
  /** Seconds after a period's end before it is closed (late packages of that period are still taken). */
  graceSeconds: number;
  /** Records journaled but not yet anchored or quarantined, past which new packages get QUOTA_EXCEEDED. */
  maxBacklogRecords: number;
  /** How far ahead of the gateway clock a package's period may start (terminal clock skew). */
  futureSkewSeconds: number;
  /** Pause between anchoring attempts while the node is unreachable. */
  retryPauseMs: number;
  /** How long a terminal's registry entry (status, keys) is trusted before it is read again. */
  registryRefreshSeconds: number;
}

export type Via = "mqtt" | "http" | "inproc";

export interface Accepted {
  packageId: string;
  terminalId: string;
  period: number;
  records: number;
  /** The same package was journaled before (a redelivery): nothing new was stored. */
  duplicate: boolean;
}

/** The Merkle work of closing a period (see MerkleThread). */
export interface MerkleWork {
  /**
   * Builds each batch's tree from its leaf hashes (32 bytes each; may take the buffers), stores it durably in the
   * proofs directory (every record's proof is read from it) and resolves with the roots.
   */
  trees(batches: TreeJob[]): Promise<string[]>;
}

/** The door's decoding of a package from the wire (the server runs it on a worker thread, `DoorThread`). */
export interface DoorWork {
  /** Size, JSON, schema, hashes and signer of a package; throws PackageRejected. */
  decode(raw: Buffer | string, where: string): Promise<DoorPackage>;
}

/** What the gateway tells its metrics and logs. */
export interface GatewayEvents {
  accepted?: (a: Accepted, via: Via, bytes: number) => void;
  rejected?: (e: PackageRejected, via: Via) => void;
  periodClosed?: (period: number, records: number, quarantined: number) => void;
  batchConfirmed?: (b: { batchKey: string; gasUsed: number; lagMs: number; records: number }) => void;
  nodeState?: (up: boolean, error?: string) => void;
}

export interface GatewayCoreDeps {
  ctx: PipelineContext & { journal: GatewayJournal };
  /** The validate stage (peer check, weekly refit), the pipeline's: live readings are checked as a run's are. */
  stage: ValidateStage;
  profiles: ReadonlyMap<string, ReadingProfile>;
  /**
   * The generator of a period's batches (routing election, the one configured generator, or one per zone), given
   * T_build and the period's checked records (their load).
   */
  elect: (period: number, tBuildMs: number, records: readonly CheckedRecord[]) => Election | Promise<Election>;
  /** Time to sign one header (part of T_build). */
  signMs: number;
  /** Reads a terminal's registry entry (with signer history) from the chain; undefined when unregistered. */
  lookupTerminal: (terminalId: string) => Promise<DirectoryEntry | undefined>;
  policy: GatewayPolicy;
  /** Wall clock, unix ms (tests pin it). */
  now?: () => number;
  /** Batch trees and roots (the server builds them on a worker thread); in-process by default. */
  merkle?: MerkleWork;
  /** Package decoding at the door; in-process by default. */
  door?: DoorWork;
  events?: GatewayEvents;
}

/** Records checked, or stored, between two turns of the event loop while a period closes (tens of ms of work). */
const CLOSE_SLICE_RECORDS = 1_000;

/**
 * Records checked per turn ahead of a period's close (`admitAhead`): that work is off the lag's path, so its turns
 * are kept short; at 1,000 a turn, a 60 s HTTP run had 14 event-loop turns over 40 ms in it (up to 165 ms), at 250
 * it had 2-5.
 */
const AHEAD_SLICE_RECORDS = 250;

/** Journal meta key of the validate stage's snapshot, stored with each closed period. */
const STAGE_SNAPSHOT_KEY = "validateStage";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The gateway's pipeline core: packages from any source (MQTT, HTTP, in-process) are checked at the door and
 * journaled before they are acknowledged; when a period closes, the same stages as the simulation (check,
 * validate, batch, elect, anchor, prove) run on its packages. The journal is the only state that matters:
 * a restarted core resumes from it and anchors nothing twice.
 */
export class GatewayCore {
  private readonly journal: GatewayJournal;
  private readonly now: () => number;
  private readonly merkle: MerkleWork;
  private readonly door: DoorWork;
  private closedThrough: number;
  /**
   * Leaf hashes journaled per open period. A record is bound to its package's period window (a copy in a later
   * period is STALE or FUTURE at close), so replays only need tracking while a period is open: memory stays
   * bounded by the open periods, however long the gateway runs.
   */
  private readonly openLeaves = new Map<number, Set<string>>();
  /**
   * What the door kept of each package journaled per open period (signer and hashes, 64 bytes a record): closing
   * parses the journaled body again but neither checks its schema, hashes its records nor recovers its signer
   * again. The decoded records are not kept: memory does not grow with the records waiting for their close.
   */
  private readonly openPackages = new Map<number, Map<string, DoorPackage>>();
  private readonly directory: Map<string, DirectoryEntry>;
  private readonly unknownUntil = new Map<string, number>();
  /** When each directory entry was read from the registry (suspensions and key rotations show up after that). */
  private readonly readAt = new Map<string, number>();
  /**
   * Closed periods may have packages not yet stored: at start (the journal may hold some) and after a close that
   * failed. Kept in memory so the close timer's turn costs no query.
   */
  private closeOwed = true;
  private anchoring: Promise<void> | undefined;
  /** Confirmed periods whose records are being marked anchored, and the end of that queue. */
  private readonly marking = new Set<number>();
  private markingDone: Promise<void> = Promise.resolve();
  /** Confirmed periods whose records are still being stored (`closePeriod` marks them anchored after). */
  private readonly awaitingRecords = new Set<number>();
  private closing: Promise<void> | undefined;
  /** The next period's packages checked ahead of its close (`admitAhead`), and the run doing it. */
  private admission: Admission | undefined;
  private admitting: Promise<void> | undefined;
  /** The last validate-stage history sample stored with a snapshot (later ones go with the next). */
  private historyStoredThrough = -Infinity;
  private stopping = false;
  private nodeUp = true;
  private lastNodeError: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: GatewayCoreDeps) {
    this.journal = deps.ctx.journal;
    this.now = deps.now ?? Date.now;
    this.merkle = deps.merkle ?? { trees: async (batches) => writeBatchTrees(deps.ctx.proofsDir, batches) };
    const chainId = deps.ctx.chain.chainId;
    this.door = deps.door ?? { decode: async (raw, where) => doorPackage(decodePackage(raw, chainId, where)) };
    this.directory = deps.ctx.directory as Map<string, DirectoryEntry>;
    for (const terminalId of this.directory.keys()) this.readAt.set(terminalId, this.now());
    const saved = this.journal.getMeta<number>("closedThrough");
    this.closedThrough = saved ?? this.dueThrough();
    if (saved === undefined) this.journal.setMeta("closedThrough", this.closedThrough);
    // A period whose store a crash cut short is closed again from its inbox packages.
    const dropped = this.journal.dropHeadlessRecords();
    if (dropped > 0)
      deps.ctx.log(`journal: dropped ${dropped} records of a period stored only in part; closing it again`);
    // Packages journaled before a restart: decoded once, for the replay check and for their period's close.
    for (const period of this.journal.inboxPeriods()) {
      const entries = this.journal.inboxOf(period);
      this.journal.bodiesOf(entries).forEach((body, i) => {
        const wire = wirePackageSchema.parse(JSON.parse(body));
        this.remember(period, doorPackage(fromWire(wire, entries[i].bytes, chainId)));
      });
    }
  }

  get policy(): GatewayPolicy {
    return this.deps.policy;
  }

  /** The last period whose end plus grace has passed. */
  private dueThrough(): number {
    const { periodSeconds, graceSeconds } = this.deps.policy;
    return Math.floor((this.now() / 1000 - graceSeconds) / periodSeconds) - 1;
  }

  /** Resumes the validate stage, then reconciles the journal with the chain and starts the close timer. */
  async start(): Promise<void> {
    await this.resumeStage();
    await this.withNode(() => reconcile(this.deps.ctx));
    await this.closeDuePeriods();
    this.timer = setInterval(() => this.tick(), 250);
    this.timer.unref();
  }

  /**
   * Restores the validate stage from the snapshot stored with the last closed period, replaying only the readings
   * of later periods (none, as the snapshot commits with its period's head), or, without a usable snapshot (a
   * journal of an older version, another model), rebuilds it from all the journal's readings. Returns the
   * readings replayed.
   */
  async resumeStage(): Promise<number> {
    const snapshot = this.journal.getMeta<StoredSnapshot>(STAGE_SNAPSHOT_KEY);
    const history = snapshot?.history === "apart" ? this.journal.stageHistory() : undefined;
    const restored = snapshot ? this.deps.stage.restore(snapshot.state, history) : undefined;
    if (snapshot && !restored!.ok)
      this.deps.ctx.log(`validate stage snapshot not used (${restored!.reason}): replaying the journal's readings`);
    // A stage rebuilt by replay stores its own history with the next snapshot.
    if (restored?.ok && history) this.historyStoredThrough = history.timestamps.at(-1) ?? -Infinity;
    else this.journal.clearStageHistory();
    const records = this.journal.records(restored?.ok ? { sincePeriod: snapshot!.period + 1 } : {});
    return replayJournal(this.deps.stage, records, this.deps.profiles, undefined, (m) =>
      this.deps.ctx.log(`${m}; continuing with the replayed state`),
    );
  }

  health() {
    return {
      node: { up: this.nodeUp, lastError: this.lastNodeError ?? null },
      closedThrough: this.closedThrough,
      backlogRecords: this.journal.backlog(),
      maxBacklogRecords: this.deps.policy.maxBacklogRecords,
      anchoring: this.anchoring !== undefined,
      stopping: this.stopping,
    };
  }

  /** The terminals the gateway has looked up, with their status and current key. */
  terminals() {
    return [...this.directory.entries()].map(([terminalId, e]) => ({
      terminalId,
      label: e.label,
      signer: e.signer,
      active: e.active,
    }));
  }

  /** The period the gateway clock is in. */
  currentPeriod(): number {
    return this.periodOf(Math.floor(this.now() / 1000));
  }

  private async entryOf(terminalId: string): Promise<DirectoryEntry | undefined> {
    const known = this.directory.get(terminalId);
    const now = this.now();
    if (known && now - (this.readAt.get(terminalId) ?? 0) < this.deps.policy.registryRefreshSeconds * 1000)
      return known;
    if (!known && (this.unknownUntil.get(terminalId) ?? 0) > now) return undefined;
    // Node unreachable: keep what was read last.
    const entry = await this.deps.lookupTerminal(terminalId).catch(() => known);
    this.readAt.set(terminalId, now);
    if (entry) this.directory.set(terminalId, entry);
    else this.unknownUntil.set(terminalId, now + 30_000);
    return entry;
  }

  /**
   * Checks a package at the door and journals it. Resolves once it is durable (acknowledge then); throws
   * PackageRejected, journaled too, for a package that is refused.
   */
  async submit(
    raw: Buffer | string | DecodedPackage,
    via: Via,
    where: string,
    topicTerminal?: string,
  ): Promise<Accepted> {
    try {
      return await this.admit(raw, via, where, topicTerminal);
    } catch (e) {
      if (e instanceof PackageRejected) await this.refused(e, via);
      throw e;
    }
  }

  /** Journals and reports a refusal, also of input refused before it reaches the core (wrong topic, HTTP parser). */
  async refused(e: PackageRejected, via: Via): Promise<void> {
    if (e.reason !== "QUOTA_EXCEEDED" && e.reason !== "SHUTTING_DOWN")
      await this.journal.addRejection({
        atMs: this.now(),
        via,
        terminalId: e.terminalId,
        packageId: e.packageId,
        reason: e.reason,
        detail: e.detail,
      });
    this.deps.events?.rejected?.(e, via);
  }

  private async admit(raw: Buffer | string | DecodedPackage, via: Via, where: string, topicTerminal?: string) {
    const shuttingDown = () => new PackageRejected("SHUTTING_DOWN", "the gateway is shutting down: send again later");
    if (this.stopping) throw shuttingDown();
    const onWire = typeof raw === "string" || Buffer.isBuffer(raw);
    const door = onWire ? await this.door.decode(raw, where) : doorPackage(raw);
    // A drain may have begun while the door thread decoded: it journals nothing that arrives after it started.
    if (this.stopping) throw shuttingDown();
    const { packageId, terminalId, periodStart, recordCount } = door;
    const refuse = (reason: PackageRejected["reason"], detail: string) =>
      new PackageRejected(reason, `${where}: ${detail}`, terminalId, packageId);
    if (topicTerminal !== undefined && topicTerminal !== terminalId)
      throw refuse("WRONG_TOPIC", `package of terminal ${terminalId} published on the topic of ${topicTerminal}`);
    if (this.journal.hasPackage(packageId))
      return {
        packageId,
        terminalId,
        period: this.periodOf(periodStart),
        records: recordCount,
        duplicate: true,
      };
    const { periodSeconds, futureSkewSeconds, maxBacklogRecords } = this.deps.policy;
    if (periodStart % periodSeconds !== 0)
      throw refuse("BAD_PERIOD", `periodStart ${periodStart} is not a multiple of the ${periodSeconds} s period`);
    // The clock checks come first: they hold whoever sent the package, and a closed period's key may be gone.
    const nowSec = this.now() / 1000;
    if (periodStart > nowSec + futureSkewSeconds)
      throw refuse("FUTURE_TIMESTAMP", `period ${iso(periodStart)} starts after the gateway clock ${iso(nowSec)}`);
    const period = this.periodOf(periodStart);
    const stale = () => refuse("STALE_TIMESTAMP", `period ${iso(periodStart)} is closed (its grace time has passed)`);
    if (period <= this.closedThrough) throw stale();
    const window = { windowStart: periodStart, windowEnd: periodStart + periodSeconds };
    const checked = checkPackageDoor(await this.entryOf(terminalId), () => door.signer, window, terminalId);
    if (!checked.ok) throw refuse(checked.reason, checked.detail);
    // Stops at the first new record, so a normal package costs one set lookup and one indexed query.
    const known = (i: number) => {
      const leaf = leafHashHex(door.leafHashes, i);
      return this.receivedInOpenPeriod(leaf) || this.journal.hasAcceptedLeaf(leaf, this.periodOf(door.timestamps[i]));
    };
    let seen = 0;
    while (seen < recordCount && known(seen)) seen++;
    if (seen === recordCount) throw refuse("REPLAY", `every record of this package was already received or accepted`);
    if (this.journal.backlog() + recordCount > maxBacklogRecords)
      throw refuse(
        "QUOTA_EXCEEDED",
        `the gateway holds ${this.journal.backlog()} records not yet anchored (limit ${maxBacklogRecords}): send again later`,
      );
    // From here to the enqueue nothing awaits, so a period cannot close between the check and the insert
    // (closing flushes the pending inserts first).
    if (period <= this.closedThrough) throw stale();
    const stored = this.journal.addPackage({
      packageId,
      terminalId,
      period,
      recordCount,
      bytes: door.bytes,
      via,
      receivedMs: this.now(),
      body: onWire ? (typeof raw === "string" ? raw : raw.toString("utf8")) : journalBody(raw),
    });
    this.remember(period, door);
    const isNew = await stored;
    const accepted = { packageId, terminalId, period, records: recordCount, duplicate: !isNew };
    this.deps.events?.accepted?.(accepted, via, door.bytes);
    return accepted;
  }

  /**
   * Whether a leaf came in a period not yet stored: the open ones, and one being closed, whose records reach the
   * journal only slice by slice (its leaves stay here until the store ends, so a replay is refused at the door
   * throughout).
   */
  private receivedInOpenPeriod(leaf: string): boolean {
    for (const leaves of this.openLeaves.values()) if (leaves.has(leaf)) return true;
    return false;
  }

  /** Keeps a journaled package of an open period: its leaves for the replay check, its door view for the close. */
  private remember(period: number, door: DoorPackage): void {
    let leaves = this.openLeaves.get(period);
    if (!leaves) this.openLeaves.set(period, (leaves = new Set()));
    for (let i = 0; i < door.recordCount; i++) leaves.add(leafHashHex(door.leafHashes, i));
    let doors = this.openPackages.get(period);
    if (!doors) this.openPackages.set(period, (doors = new Map()));
    // The first copy is the one journaled (INSERT OR IGNORE).
    if (!doors.has(door.packageId)) doors.set(door.packageId, door);
  }

  private periodOf(periodStart: number): number {
    return Math.floor((periodStart - this.deps.ctx.chain.chainStart) / this.deps.policy.periodSeconds);
  }

  /** The timer's turn: a failure is logged and retried on the next turn, never allowed to stop the gateway. */
  private tick(): void {
    this.closeDuePeriods().catch((e: Error) => this.deps.ctx.log(`closing periods failed (retrying): ${e.message}`));
    this.admitAhead();
  }

  /**
   * Closes every period whose grace time has passed (check, validate, batch, elect, store), then anchors.
   * Checking yields to the event loop between slices of packages, so acknowledgements keep flowing meanwhile.
   */
  closeDuePeriods(): Promise<void> {
    if (this.closing) return this.closing;
    const due = this.dueThrough();
    if (due <= this.closedThrough && !this.closeOwed) {
      this.kickAnchoring();
      return Promise.resolve();
    }
    // From here on a package of a due period is refused as closed (its grace has passed; admit checks this
    // after its last await), and the pending ones are journaled: the inbox read below is complete although
    // closing yields. The journal's closedThrough follows once the periods are stored (a restart redoes them).
    const through = Math.max(due, this.closedThrough);
    const raised = due > this.closedThrough;
    this.closedThrough = through;
    this.journal.flush();
    const periods = this.journal.inboxPeriods().filter((p) => p <= through);
    this.closeOwed = true;
    const admitting = this.admitting;
    this.closing = (async () => {
      // A slice being checked ahead finishes first (the close carries on from its state).
      await admitting;
      for (const period of periods) {
        await this.closePeriod(period);
        // Each stored period is anchored while the next one closes: kicked only once all due periods were
        // closed, anchoring waited for the whole backlog of closes whenever closing fell behind.
        this.kickAnchoring();
      }
      if (raised) this.journal.setMeta("closedThrough", through);
      this.closeOwed = false;
    })().finally(() => {
      this.closing = undefined;
      this.kickAnchoring();
    });
    return this.closing;
  }

  /**
   * Checks the journaled packages of the next period to close while it is still open or in its grace time (the
   * timer's turn, in slices): its close then only checks the packages that came after, so a period's anchoring
   * waits for less of the close. Only once every earlier period is stored (a record id taken by one of them must be
   * in the journal) and never while a close runs; the result is the one closing would give, as the packages are
   * checked in the same order with the same period state.
   */
  private admitAhead(): void {
    if (this.closing || this.admitting || this.closeOwed || this.stopping) return;
    const period = this.closedThrough + 1;
    if (!this.openPackages.has(period)) return;
    this.admitting = this.admitInbox(this.admissionOf(period), AHEAD_SLICE_RECORDS)
      .catch((e: Error) => {
        // Checked again from the start when the period closes.
        this.admission = undefined;
        this.deps.ctx.log(`checking period ${period} ahead of its close failed: ${e.message}`);
      })
      .finally(() => (this.admitting = undefined));
  }

  /** The period's admission so far (`admitAhead`), or a new one; any other period's is dropped. */
  private admissionOf(period: number): Admission {
    if (this.admission?.period === period) return this.admission;
    const ctx = this.deps.ctx;
    const taken = { asked: new Set<string>(), held: new Set<string>() };
    const atDoor = new Map<TerminalPackage, DoorChecks>();
    this.admission = {
      period,
      atDoor,
      taken,
      check: {
        ingest: {
          chainId: ctx.chain.chainId,
          directory: this.directory,
          ...periodWindow(ctx, period),
          seen: new Set(),
          atDoor,
        },
        stage: this.deps.stage,
        directory: this.directory,
        profiles: this.deps.profiles,
        period,
        idTaken: (id) => (taken.asked.has(id) ? taken.held.has(id) : this.journal.hasRecordId(id)),
        ids: new Map(),
      },
      records: [],
      throughRow: 0,
    };
    return this.admission;
  }

  /**
   * Checks the period's inbox packages after the admission's last one, in arrival order and in slices with a turn
   * of the event loop between them. Each slice's packages, records and state change go in together, in one turn:
   * a close that starts in between carries on from there.
   */
  private async admitInbox(admission: Admission, sliceRecords = CLOSE_SLICE_RECORDS): Promise<void> {
    const ctx = this.deps.ctx;
    const { period, atDoor, taken, check } = admission;
    const doors = this.openPackages.get(period);
    const entries = this.journal.inboxOf(period, admission.throughRow);
    for (const [s, rows] of [...recordSlices(entries, sliceRecords)].entries()) {
      if (s > 0) await yieldToIo();
      const bodies = this.journal.bodiesOf(rows);
      const slice: IncomingPackage[] = [];
      for (const [k, row] of rows.entries()) {
        const door = doors?.get(row.packageId);
        const pkg = door
          ? packageFromJournal(bodies[k], door)
          : fromWire(wirePackageSchema.parse(JSON.parse(bodies[k])), row.bytes, ctx.chain.chainId).pkg;
        if (door) atDoor.set(pkg, { signer: door.signer, payloadIssues: new Map(door.payloadIssues) });
        slice.push({ pkg, label: this.directory.get(row.terminalId)?.label ?? row.terminalId });
      }
      // The slice's record ids are looked up in one query (a copy suffix, rare, is asked for one by one).
      taken.asked = new Set(slice.flatMap(({ pkg }) => pkg.records.map((r) => recordIdOf(r.payload)).filter(isString)));
      taken.held = this.journal.recordIdsTaken([...taken.asked]);
      for (const r of admitPackages(slice, check)) admission.records.push(r);
      admission.throughRow = rows.at(-1)!.row;
    }
  }

  private async closePeriod(period: number): Promise<void> {
    const ctx = this.deps.ctx;
    // Whatever was checked ahead is kept; the packages that came after are checked now.
    const admission = this.admissionOf(period);
    try {
      await this.admitInbox(admission);
    } finally {
      this.admission = undefined;
    }
    const { records, check } = admission;
    await validateRecordsAsync(records, check);
    const leaves = batchLeaves(records, ctx.zoneOf);
    const t0 = performance.now();
    const roots = await this.merkle.trees(
      leaves.map((b) => ({ batchKey: batchKeyOf(period, b.type.suffix, b.zone), hashes: b.hashes })),
    );
    const tBuildMs = performance.now() - t0 + this.deps.signMs;
    const built = { leaves, roots, tBuildMs };
    // A period whose head a crash left without its records is stored again under the head it has (and may have
    // anchored): the same packages through the same stage state give the same batches, which is checked.
    const headed = this.journal.period(period);
    const storedBatches = headed && this.journal.batches({ period });
    const election = storedBatches
      ? electionOfBatches(period, leaves, storedBatches)
      : await this.deps.elect(period, tBuildMs, records);
    const prepared = preparePeriod(ctx, period, records, built, election);
    if (storedBatches) sameBatches(period, prepared.batches, storedBatches);
    else {
      // The head goes first, so the period is anchored while its records are stored. The journal's closedThrough
      // goes with it: after a restart no package of this period is taken into the inbox again.
      this.journal.recordPeriodHead(prepared.head, prepared.batches, () => {
        if ((this.journal.getMeta<number>("closedThrough") ?? -Infinity) < period)
          this.journal.setMeta("closedThrough", period);
      });
      this.kickAnchoring();
    }
    await yieldToIo();
    // Who signed each record, for its proof: the packages go in first, each record's place in its package with the
    // record.
    await this.journal.recordRecordsInSlices(prepared.rows, {
      sliceRecords: CLOSE_SLICE_RECORDS,
      pause: yieldToIo,
      placement: prepared,
    });
    // Then, in one transaction, what makes the records count: the inbox's mark and the stage's state after this
    // period (a restart resumes from it). The stage's history is stored apart, a period's new samples at a time:
    // whole, it grows to days of instants, and serialising it with every period held the event loop longer the
    // longer the gateway ran.
    const { state, history, keepFrom } = this.deps.stage.snapshotParts(this.historyStoredThrough);
    this.journal.transaction(() => {
      this.journal.markProcessed(period);
      this.journal.appendStageHistory(history, keepFrom);
      this.journal.setMeta(STAGE_SNAPSHOT_KEY, { period, state, history: "apart" } satisfies StoredSnapshot);
    });
    this.historyStoredThrough = history.timestamps.at(-1) ?? this.historyStoredThrough;
    this.openLeaves.delete(period);
    this.openPackages.delete(period);
    this.journal.refreshBacklog();
    // Confirmed while its records were being stored: marked anchored now.
    if (this.awaitingRecords.delete(period)) this.markAnchored(period);
    const quarantined = records.filter((r) => !r.accepted).length;
    ctx.log(`period ${period} closed: ${records.length} records, ${quarantined} quarantined`);
    this.deps.events?.periodClosed?.(period, records.length, quarantined);
  }

  private kickAnchoring(): void {
    if (this.anchoring || this.stopping) return;
    if (this.journal.openPeriods().every((p) => this.marking.has(p) || this.awaitingRecords.has(p))) return;
    this.anchoring = this.anchorAll()
      .catch((e: Error) => this.deps.ctx.log(`anchoring stopped (retrying on the next turn): ${e.message}`))
      .finally(() => (this.anchoring = undefined));
  }

  /**
   * Anchors every validated period, oldest first. Marking a confirmed period's records anchored (their proofs
   * are read from the batch trees stored at close) runs behind, in slices, while the next period is anchored:
   * the chain round trip and the marking overlap instead of adding up. Waits out node outages.
   */
  private async anchorAll(): Promise<void> {
    for (;;) {
      const open = this.journal.openPeriods().filter((p) => !this.marking.has(p) && !this.awaitingRecords.has(p));
      if (open.length === 0 || this.stopping) return;
      for (const period of open) {
        if (this.stopping) return;
        const ok = await this.withNode(() => anchorPeriod(this.deps.ctx, period));
        if (!ok) {
          await sleep(this.deps.policy.retryPauseMs);
          // Reconciling puts batches the chain lacks back to "built": sign them again on the chain's stream tips,
          // not on the cached ones their first signing advanced (StreamTipMismatch forever after an outage).
          this.deps.ctx.tips.clear();
          await this.withNode(() => reconcile(this.deps.ctx));
          break;
        }
        const received = this.journal.firstReceivedMs(period);
        for (const b of this.journal.batches({ period, state: "confirmed" }))
          this.deps.events?.batchConfirmed?.({
            batchKey: b.batchKey,
            gasUsed: b.gasUsed ?? 0,
            lagMs: received === undefined ? 0 : this.now() - received,
            records: b.recordCount,
          });
        // Its records are marked once they are all stored (the close marks it then).
        if (this.journal.awaitsRecords(period)) this.awaitingRecords.add(period);
        else this.markAnchored(period);
      }
    }
  }

  /**
   * Queues marking a confirmed period's records anchored and the period done (one period at a time, oldest
   * first). Cut short by a crash, the period stays open and is finished after the restart (its batches are
   * confirmed, so nothing is sent again).
   */
  private markAnchored(period: number): void {
    this.marking.add(period);
    this.markingDone = this.markingDone
      .then(async () => {
        await this.journal.completePeriodInSlices(period, { sliceRecords: CLOSE_SLICE_RECORDS, pause: yieldToIo });
        this.journal.refreshBacklog();
      })
      .catch((e: Error) => this.deps.ctx.log(`marking period ${period} anchored failed (retrying): ${e.message}`))
      .finally(() => this.marking.delete(period));
  }

  /** Runs a node call; on failure marks the node down (the caller retries later) instead of throwing. */
  private async withNode(call: () => Promise<unknown>): Promise<boolean> {
    try {
      await call();
      if (!this.nodeUp) this.deps.ctx.log("node reachable again: catching up");
      this.setNode(true);
      return true;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.setNode(false, message);
      this.deps.ctx.log(`${e instanceof NodeUnavailableError ? "node unavailable" : "anchoring failed"}: ${message}`);
      return false;
    }
  }

  private setNode(up: boolean, error?: string) {
    if (this.nodeUp !== up) this.deps.events?.nodeState?.(up, error);
    this.nodeUp = up;
    this.lastNodeError = up ? undefined : error;
  }

  /** Stops intake, journals what is pending, closes due periods and waits (up to `timeoutMs`) for anchoring. */
  async drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.journal.flush();
    await this.admitting;
    const closing = this.closing?.catch(() => undefined);
    const anchored = this.anchoring?.then(() => this.markingDone);
    await Promise.race([Promise.all([closing, anchored, this.markingDone]), sleep(timeoutMs)]);
  }

  /** Waits until everything journaled so far is anchored or quarantined (tests and the simulator). */
  async settled(timeoutMs: number): Promise<boolean> {
    const deadline = this.now() + timeoutMs;
    while (this.now() < deadline) {
      if (this.journal.refreshBacklog() === 0 && this.journal.inboxPeriods().length === 0) return true;
      await sleep(100);
    }
    return false;
  }
}

/** A period's packages checked so far (door checks, record ids), in arrival order, awaiting validation. */
interface Admission {
  period: number;
  check: CheckContext;
  /** Signers and payload issues found at the door, by the package objects rebuilt from the journal. */
  atDoor: Map<TerminalPackage, DoorChecks>;
  /** Record ids of earlier periods asked for in the slice being checked, and those the journal holds. */
  taken: { asked: Set<string>; held: Set<string> };
  records: CheckedRecord[];
  /** The inbox row of the last package checked (0: none). */
  throughRow: number;
}

/** The validate stage's snapshot in the journal's meta: its history is in `stage_history` ("apart") or in it. */
interface StoredSnapshot {
  period: number;
  state: string;
  history?: "apart";
}

/**
 * The election a stored period's batches were signed under, for its records stored again: each batch's signer,
 * by the zone of the batch built now. Throws, naming the batch, when one is not among the stored ones.
 */
function electionOfBatches(period: number, leaves: readonly BatchLeaves[], stored: readonly JournalBatch[]): Election {
  const byKey = new Map(stored.map((b) => [b.batchKey, b]));
  const signerOf = (b: BatchLeaves) => {
    const batchKey = batchKeyOf(period, b.type.suffix, b.zone);
    const s = byKey.get(batchKey);
    if (!s) throw new Error(`period ${period}: its records give batch ${batchKey}, which its stored head lacks`);
    return { zone: b.zone, generatorBus: s.generatorBus, terminalId: s.terminalId };
  };
  const signers = leaves.map(signerOf);
  const first = signers[0] ?? { generatorBus: -1, terminalId: stored[0]?.terminalId ?? "" };
  return {
    generatorBus: first.generatorBus,
    terminalId: first.terminalId,
    zones: signers.flatMap((s) => (s.zone === null ? [] : [{ ...s, zone: s.zone }])),
    routing: "{}",
  };
}

/** Checks that a period's batches built again are the stored ones (key, root, size); throws naming the first not. */
function sameBatches(
  period: number,
  built: readonly Omit<JournalBatch, "updatedAt">[],
  stored: readonly JournalBatch[],
) {
  const byKey = new Map(stored.map((b) => [b.batchKey, b]));
  for (const b of built) {
    const s = byKey.get(b.batchKey);
    if (!s || s.root !== b.root || s.recordCount !== b.recordCount)
      throw new Error(
        `period ${period}: storing its records again gives batch ${b.batchKey} root ${b.root} (${b.recordCount} records), ` +
          `the journal has ${s ? `root ${s.root} (${s.recordCount} records)` : "no such batch"}: the records cannot be stored under the anchored head`,
      );
  }
  if (built.length !== stored.length)
    throw new Error(
      `period ${period}: storing its records again gives ${built.length} batches, the journal has ${stored.length}`,
    );
}

/** The journaled body of a package handed over in-process (as a terminal would have sent it). */
function journalBody({ pkg, text }: DecodedPackage): string {
  return (
    text ??
    JSON.stringify({
      terminalId: pkg.terminalId,
      periodStart: pkg.periodStart,
      records: pkg.records,
      signature: pkg.signature,
    })
  );
}

/** The record id a package's record names (`payload.recordId`), as the check stage reads it. */
function recordIdOf(payload: object): string | undefined {
  const id = (payload as { recordId?: unknown }).recordId;
  return id === undefined || id === null ? undefined : String(id);
}

const isString = (x: string | undefined): x is string => x !== undefined;

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
