import { expect } from "chai";
import { computeAddress, SigningKey } from "ethers";
import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { treeFilePath } from "../../src/gateway/batchTrees";
import { DoorThread } from "../../src/gateway/doorThread";
import { GatewayJournal } from "../../src/gateway/inbox";
import {
  decodePackage,
  doorPackage,
  packageFromJournal,
  PackageRejected,
  toWire,
  type DoorPackage,
} from "../../src/gateway/wire";
import { initMerkle, RecordKind, type GridRecord } from "../../src/merkle";
import { ingestPackage, type DirectoryEntry } from "../../src/pipeline/ingest";
import { builtBatch, type JournalPeriod, type JournalRecord, type PackagePlacement } from "../../src/pipeline/journal";
import { packageHead, signPackage } from "../../src/pipeline/packages";
import { PackageTree } from "../../src/chain/packages";
import { GATEWAY_DEFAULTS, type GatewayCore } from "../../src/gateway/core";
import type { ValidateStage } from "../../src/validation/stage";
import { stubCore } from "../helpers/gatewayCore";
import { scratchDir } from "../helpers/scenario";

const CHAIN_ID = 31337n;
const TERMINAL = `0x${"ab".repeat(32)}`;
const KEY = new SigningKey(`0x${"11".repeat(32)}`);
const SIGNER = computeAddress(KEY.publicKey);
const T0 = 1_800_000_000;

function records(n: number): GridRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    terminalId: TERMINAL,
    kind: RecordKind.Reading,
    timestamp: T0 + i,
    payload: { recordId: `r${i}`, quantity: "P", unit: "MW", value: 10 + i },
  }));
}

/** The refusal a promise rejects with; fails the test when it resolves. */
async function refusal(promise: Promise<unknown>): Promise<PackageRejected> {
  try {
    await promise;
  } catch (e) {
    expect(e).to.be.instanceOf(PackageRejected);
    return e as PackageRejected;
  }
  expect.fail("expected the package to be refused");
}

describe("gateway door", function () {
  before(initMerkle);

  describe("doorPackage", function () {
    it("keeps the package's id, signer and hashes, and each record's first payload issue by index", function () {
      const recs = records(3);
      (recs[1].payload as Record<string, unknown>).value = "ten";
      const pkg = signPackage(KEY, CHAIN_ID, TERMINAL, T0, recs);
      const decoded = decodePackage(toWire(pkg), CHAIN_ID, "test");
      const door = doorPackage(decoded);
      expect(door.packageId).to.equal(decoded.packageId);
      expect(door.signer).to.equal(SIGNER.toLowerCase());
      expect(door.recordCount).to.equal(3);
      expect(Buffer.from(door.leafHashes)).to.deep.equal(Buffer.from(pkg.leafHashes));
      expect(Buffer.from(door.recordsRoot)).to.deep.equal(Buffer.from(new PackageTree(pkg.leafHashes).rootBytes));
      expect(door.payloadIssues.map(([i]) => i)).to.deep.equal([1]);
      expect(door.payloadIssues[0][1].field).to.equal("value");
    });

    it("gives no signer for a malformed signature", function () {
      const pkg = signPackage(KEY, CHAIN_ID, TERMINAL, T0, records(1));
      const body = JSON.stringify({ ...JSON.parse(toWire(pkg)), signature: `0x${"00".repeat(65)}` });
      expect(doorPackage(decodePackage(body, CHAIN_ID, "test")).signer).to.equal(undefined);
    });
  });

  describe("packageFromJournal", function () {
    it("rebuilds the package the door decoded from its journaled body without hashing again", function () {
      const pkg = signPackage(KEY, CHAIN_ID, TERMINAL, T0, records(5));
      const body = toWire(pkg);
      const decoded = decodePackage(body, CHAIN_ID, "test");
      const rebuilt = packageFromJournal(body, doorPackage(decoded));
      expect(rebuilt.records).to.deep.equal(decoded.pkg.records);
      expect(rebuilt.leaves).to.deep.equal(decoded.pkg.leaves);
      expect(Buffer.from(rebuilt.leafHashes)).to.deep.equal(Buffer.from(decoded.pkg.leafHashes));
      expect(packageHead(rebuilt)).to.deep.equal(packageHead(decoded.pkg));
    });

    it("refuses a body whose record count is not the one the door saw", function () {
      const pkg = signPackage(KEY, CHAIN_ID, TERMINAL, T0, records(2));
      const door = doorPackage(decodePackage(toWire(pkg), CHAIN_ID, "test"));
      const other = toWire(signPackage(KEY, CHAIN_ID, TERMINAL, T0, records(3)));
      expect(() => packageFromJournal(other, door)).to.throw(/3 records, the door saw 2/);
    });
  });

  describe("DoorThread", function () {
    this.timeout(60_000);
    let thread: DoorThread;
    before(function () {
      thread = new DoorThread(CHAIN_ID);
    });
    after(async function () {
      await thread.close();
    });

    it("decodes a package on its thread to what the door computes in-process", async function () {
      const body = toWire(signPackage(KEY, CHAIN_ID, TERMINAL, T0, records(4)));
      const local = doorPackage(decodePackage(body, CHAIN_ID, "test"));
      const remote = await thread.decode(Buffer.from(body), "test");
      expect(remote.packageId).to.equal(local.packageId);
      expect(remote.signer).to.equal(local.signer);
      expect(remote.bytes).to.equal(local.bytes);
      expect(Buffer.from(remote.leafHashes)).to.deep.equal(Buffer.from(local.leafHashes));
      expect(Buffer.from(remote.payloadHashes)).to.deep.equal(Buffer.from(local.payloadHashes));
      expect(Buffer.from(remote.recordsRoot)).to.deep.equal(Buffer.from(local.recordsRoot));
    });

    it("refuses a bad package with the reason and detail decodePackage gives, and keeps working", async function () {
      const e = await refusal(thread.decode("not json", "mqtt gridledger/v1/x/packages"));
      expect(e.reason).to.equal("NOT_JSON");
      expect(e.detail).to.match(/^mqtt gridledger\/v1\/x\/packages: not JSON/);
      const schema = await refusal(thread.decode(JSON.stringify({ terminalId: TERMINAL }), "http"));
      expect(schema.reason).to.equal("SCHEMA");
      expect(schema.terminalId).to.equal(TERMINAL);
      const body = toWire(signPackage(KEY, CHAIN_ID, TERMINAL, T0, records(1)));
      expect((await thread.decode(body, "test")).recordCount).to.equal(1);
    });
  });

  describe("ingestPackage with what the door found", function () {
    const entry: DirectoryEntry = { label: "T1", signer: SIGNER, active: true };
    const ctx = () => ({
      chainId: CHAIN_ID,
      directory: new Map([[TERMINAL, entry]]),
      windowStart: T0,
      windowEnd: T0 + 3600,
      seen: new Set<string>(),
    });

    it("takes the door's payload issues instead of checking the payloads again", function () {
      const pkg = signPackage(KEY, CHAIN_ID, TERMINAL, T0, records(2));
      const issue = { field: "value", message: "found at the door" };
      const atDoor = new Map([[pkg, { signer: entry.signer.toLowerCase(), payloadIssues: new Map([[1, issue]]) }]]);
      const verdicts = ingestPackage(pkg, { ...ctx(), atDoor });
      expect(verdicts[0].ok).to.equal(true);
      expect(verdicts[1]).to.include({ ok: false, reason: "BAD_PAYLOAD" });
      expect(!verdicts[1].ok && verdicts[1].detail).to.match(/payload field value: found at the door/);
    });

    it("takes the door's signer instead of recovering it again", function () {
      const pkg = signPackage(KEY, CHAIN_ID, TERMINAL, T0, records(2));
      const atDoor = new Map([[pkg, { signer: undefined, payloadIssues: new Map() }]]);
      const verdicts = ingestPackage(pkg, { ...ctx(), atDoor });
      expect(verdicts.map((v) => !v.ok && v.reason)).to.deep.equal(["BAD_SIGNATURE", "BAD_SIGNATURE"]);
      expect(ingestPackage(pkg, ctx()).every((v) => v.ok)).to.equal(true);
    });
  });

  describe("GatewayCore with a door thread", function () {
    it("refuses with SHUTTING_DOWN, journaling nothing, a package whose decoding ended after a drain began", async function () {
      const journal = new GatewayJournal(join(scratchDir("gw-door-drain"), "journal.sqlite"));
      try {
        let finish: (door: DoorPackage) => void = () => undefined;
        const core = stubCore(journal, {
          terminalId: TERMINAL,
          now: () => (T0 + 1) * 1000,
          door: { decode: () => new Promise<DoorPackage>((resolve) => (finish = resolve)) },
        });
        const body = toWire(signPackage(KEY, CHAIN_ID, TERMINAL, T0, records(1)));
        const submitted = core.submit(Buffer.from(body), "mqtt", "test");
        await core.drain(0);
        finish(doorPackage(decodePackage(body, CHAIN_ID, "test")));
        const e = await refusal(submitted);
        expect(e.reason).to.equal("SHUTTING_DOWN");
        expect(journal.inboxPeriods()).to.deep.equal([]);
      } finally {
        journal.close();
      }
    });
  });

  describe("GatewayCore closing a period", function () {
    const POLICY = { ...GATEWAY_DEFAULTS, periodSeconds: 5, graceSeconds: 1, retryPauseMs: 10 };
    const PERIOD = T0 / 5;
    const directory = () => new Map([[TERMINAL, { label: "T1", signer: SIGNER, active: true }]]);
    /** Passes every reading (none reaches it: no terminal has a reading profile) and keeps no history. */
    const stage = {
      lastInstant: -Infinity,
      refitIfDue: async () => false,
      snapshotParts: () => ({ state: "{}", history: { timestamps: [], load: [], temperature: [] }, keepFrom: 0 }),
    } as unknown as ValidateStage;
    /** Three packages of one period; the third repeats the first's record ids (copies get a suffix). */
    let wires: Buffer[] = [];
    before(function () {
      wires = [records(3), records(5).slice(3), records(2).map((r) => ({ ...r, timestamp: r.timestamp + 3 }))].map(
        (rs) => Buffer.from(toWire(signPackage(KEY, CHAIN_ID, TERMINAL, T0, rs))),
      );
    });
    const fates = (journal: GatewayJournal) =>
      journal.records().map((r) => [r.recordId, r.leafHash, r.status, r.reason, r.batchKey]);
    const inPeriod = () => ({ ms: (T0 + 1) * 1000 });
    const afterGrace = () => ({ ms: (T0 + 8) * 1000 });

    /** A core on `journal` whose clock reads `clock.ms` (in the period by default). */
    function coreOn(
      journal: GatewayJournal,
      o: { clock?: { ms: number }; log?: (line: string) => void; zoneOf?: (terminalId: string) => number } = {},
    ) {
      const clock = o.clock ?? inPeriod();
      return stubCore(journal, {
        terminalId: TERMINAL,
        now: () => clock.ms,
        policy: POLICY,
        directory: directory(),
        stage,
        proofsDir: dirname(journal.path),
        log: o.log,
        zoneOf: o.zoneOf,
      });
    }

    /** Runs `test` on fresh journals, one per name, and closes them. */
    async function withJournals(names: string[], test: (...journals: GatewayJournal[]) => Promise<void>) {
      const journals = names.map((name) => new GatewayJournal(join(scratchDir(name), "journal.sqlite")));
      try {
        await test(...journals);
      } finally {
        for (const j of journals) j.close();
      }
    }

    /**
     * Journals the period's packages on a core whose clock is in the period, checking ahead before package
     * `ahead` (none by default), then moves the clock past the grace.
     */
    async function submitAll(core: GatewayCore, clock: { ms: number }, ahead = -1) {
      const internals = core as unknown as { tick(): void; admitting: Promise<void> | undefined };
      await core.closeDuePeriods();
      for (const [i, wire] of wires.entries()) {
        if (i === ahead) {
          internals.tick();
          expect(internals.admitting, "checking ahead").to.not.equal(undefined);
          await internals.admitting;
        }
        await core.submit(wire, "mqtt", `package ${i}`);
      }
      clock.ms = (T0 + 7) * 1000;
    }

    /** Closes the period after the packages, checking ahead before package `ahead`; gives the close's bodies read. */
    async function closeWith(journal: GatewayJournal, ahead = -1): Promise<number> {
      const clock = inPeriod();
      const core = coreOn(journal, { clock });
      await submitAll(core, clock, ahead);
      let bodies = 0;
      const bodiesOf = journal.bodiesOf.bind(journal);
      journal.bodiesOf = (entries) => ((bodies += entries.length), bodiesOf(entries));
      await core.closeDuePeriods();
      return bodies;
    }

    it("checks the packages journaled so far, and the close only those that came after, with the same result", async function () {
      await withJournals(["gw-ahead", "gw-whole"], async (ahead, whole) => {
        expect(await closeWith(ahead, 2)).to.equal(1);
        expect(await closeWith(whole)).to.equal(wires.length);
        expect(fates(ahead)).to.have.length(7);
        expect(fates(ahead).map((f) => f[0])).to.include.members(["r0~copy2", "r1~copy2"]);
        expect(fates(ahead)).to.deep.equal(fates(whole));
        expect(ahead.inboxPeriods()).to.deep.equal([]);
      });
    });

    it("does not check ahead while periods owed at start are not yet stored (a record id may be taken by one)", async function () {
      await withJournals(["gw-ahead-owed"], async (journal) => {
        const core = coreOn(journal);
        await core.submit(wires[0], "mqtt", "package 0");
        const internals = core as unknown as { admitAhead(): void; admitting: Promise<void> | undefined };
        internals.admitAhead();
        expect(internals.admitting).to.equal(undefined);
        await core.closeDuePeriods();
        internals.admitAhead();
        expect(internals.admitting).to.not.equal(undefined);
        await internals.admitting;
      });
    });

    it("stores the head first and anchors meanwhile, marking the period anchored once its records are all in", async function () {
      await withJournals(["gw-head-first"], async (journal) => {
        const clock = inPeriod();
        const core = coreOn(journal, { clock });
        const internals = core as unknown as { anchorAll(): Promise<void>; markingDone: Promise<void> };
        await submitAll(core, clock);
        // The records' store waits after its first slice until released.
        let release = () => undefined as void;
        const held = new Promise<void>((r) => (release = r));
        const store = journal.recordRecordsInSlices.bind(journal);
        journal.recordRecordsInSlices = (rows, opts) => store(rows, { ...opts, sliceRecords: 2, pause: () => held });
        const closing = core.closeDuePeriods();
        while (!journal.period(PERIOD)) await new Promise((r) => setImmediate(r));
        expect(journal.awaitsRecords(PERIOD)).to.equal(true);
        expect(journal.records()).to.have.length.below(7);
        // The chain confirms the batches while the records are being stored.
        for (const b of journal.batches({ period: PERIOD }))
          journal.updateBatch(b.batchKey, "confirmed", { txHash: `0x${"ee".repeat(32)}`, blockNumber: 5, batchId: 1 });
        await internals.anchorAll();
        await internals.markingDone;
        expect(journal.openPeriods()).to.deep.equal([PERIOD]);
        expect(journal.records().filter((r) => r.status === "anchored")).to.have.length(0);
        // Counted once: in the inbox until the records count.
        expect(journal.refreshBacklog()).to.equal(7);
        release();
        await closing;
        await internals.markingDone;
        expect(journal.openPeriods()).to.deep.equal([]);
        expect(journal.records().map((r) => r.status)).to.deep.equal(Array(7).fill("anchored"));
        expect(journal.refreshBacklog()).to.equal(0);
      });
    });

    it("stores each zone's batch tree under that batch's key (a zoned gateway's proofs are read from them)", async function () {
      await withJournals(["gw-zone-trees"], async (journal) => {
        const clock = inPeriod();
        const core = coreOn(journal, { clock, zoneOf: () => 3 });
        await submitAll(core, clock);
        await core.closeDuePeriods();
        const [batch] = journal.batches({ period: PERIOD });
        expect(batch.batchKey).to.equal(`p${PERIOD}-z003-readings`);
        expect(existsSync(treeFilePath(dirname(journal.path), batch.batchKey)), "tree file").to.equal(true);
      });
    });

    /** Closes the period on a core whose records' store fails after some records went in (a crash). */
    async function cutShort(journal: GatewayJournal) {
      const clock = inPeriod();
      const core = coreOn(journal, { clock });
      await submitAll(core, clock);
      const store = journal.recordRecordsInSlices.bind(journal);
      const pause = () => (journal.records().length > 0 ? Promise.reject(new Error("killed")) : Promise.resolve());
      journal.recordRecordsInSlices = (rows, opts) => store(rows, { ...opts, sliceRecords: 2, pause });
      expect((await failure(core.closeDuePeriods())).message).to.equal("killed");
      journal.recordRecordsInSlices = store;
      expect(journal.records()).to.have.length(2);
      return { head: journal.period(PERIOD), batches: journal.batches({ period: PERIOD }) };
    }
    const failure = (p: Promise<void>) =>
      p.then(
        () => expect.fail("expected the close to fail"),
        (e: Error) => e,
      );

    it("stores again, under the head it has, the records of a period whose head a crash left without them", async function () {
      await withJournals(["gw-head-crash", "gw-head-whole"], async (crashed, whole) => {
        const { head, batches } = await cutShort(crashed);
        const lines: string[] = [];
        const restarted = coreOn(crashed, { clock: afterGrace(), log: (l) => lines.push(l) });
        expect(lines[0]).to.match(/dropped 2 records of a period stored only in part/);
        await restarted.closeDuePeriods();
        await closeWith(whole);
        expect(fates(crashed)).to.deep.equal(fates(whole));
        expect(crashed.period(PERIOD)).to.deep.equal(head);
        expect(crashed.batches({ period: PERIOD })).to.deep.equal(batches);
        expect(crashed.awaitsRecords(PERIOD)).to.equal(false);
      });
    });

    it("refuses, naming the batch, to store records under a stored head whose root they do not give", async function () {
      await withJournals(["gw-head-differs"], async (journal) => {
        const { batches } = await cutShort(journal);
        const db = new Database(journal.path);
        db.prepare("UPDATE batches SET root = ? WHERE batch_key = ?").run(`0x${"00".repeat(32)}`, batches[0].batchKey);
        db.close();
        const e = await failure(coreOn(journal, { clock: afterGrace() }).closeDuePeriods());
        expect(e.message).to.include(`batch ${batches[0].batchKey} root ${batches[0].root}`);
        expect(journal.records()).to.have.length(0);
        expect(journal.awaitsRecords(PERIOD)).to.equal(true);
      });
    });
  });

  describe("Journal package links", function () {
    let journal: GatewayJournal;
    beforeEach(function () {
      journal = new GatewayJournal(join(scratchDir("gw-door"), "journal.sqlite"));
    });
    afterEach(function () {
      journal.close();
    });

    function rows(n: number): JournalRecord[] {
      return records(n).map((r, i) => ({
        recordId: `r${i}`,
        period: 7,
        terminalId: TERMINAL,
        label: "T1",
        kind: r.kind,
        timestamp: r.timestamp,
        leafHash: `0x${i.toString(16).padStart(64, "0")}`,
        status: "pending",
        reason: null,
        detail: null,
        batchKey: "p0007-readings",
        payload: JSON.stringify(r.payload),
        actualNorm: null,
        forecastNorm: null,
        fault: null,
      }));
    }
    const head: JournalPeriod = { period: 7, state: "validated", generatorBus: 1, routing: "{}", tBuildMs: 1 };
    const batch = builtBatch({
      batchKey: "p0007-readings",
      period: 7,
      dataType: 21,
      root: `0x${"11".repeat(32)}`,
      recordCount: 6,
      generatorBus: 1,
      terminalId: TERMINAL,
    });
    const SIGNATURE = `0x${"5a".repeat(65)}`;
    /** The records in packages of `perPackage` records (one package by default), signatures 0x5a..., 0x5b... */
    const placement = (all: JournalRecord[], perPackage = all.length): PackagePlacement => {
      const signature = (k: number) => `0x${(0x5a + k).toString(16).repeat(65)}`;
      const packages = Array.from({ length: Math.ceil(all.length / perPackage) }, (_, k) => ({
        signature: signature(k),
        terminalId: TERMINAL,
        periodStart: 0,
        recordCount: Math.min(perPackage, all.length - k * perPackage),
        recordsRoot: `0x${"22".repeat(32)}`,
        leafHashes: new Uint8Array(32 * perPackage),
      }));
      const links = all.map((r, i) => ({
        recordId: r.recordId,
        signature: signature(Math.floor(i / perPackage)),
        index: i % perPackage,
      }));
      return { packages, links };
    };
    const db = (j: GatewayJournal) => (j as unknown as { db: import("better-sqlite3").Database }).db;
    const placedCount = (j: GatewayJournal) =>
      (db(j).prepare("SELECT COUNT(*) AS n FROM records WHERE package_id IS NOT NULL").get() as { n: number }).n;

    const packageCount = (j: GatewayJournal) =>
      (db(j).prepare("SELECT COUNT(*) AS n FROM signed_packages").get() as { n: number }).n;

    it("stores the packages first, then each record's place in its package with the record", async function () {
      const all = rows(6);
      const seen: number[][] = [];
      await journal.recordPeriodInSlices(head, all, [batch], {
        sliceRecords: 4,
        pause: async () => void seen.push([packageCount(journal), placedCount(journal)]),
        placement: placement(all),
      });
      expect(seen, "packages, then the places, then records by slice, then their leaves").to.deep.equal([
        [1, 0],
        [1, 0],
        [1, 4],
        [1, 6],
        [1, 6],
      ]);
      expect(placedCount(journal)).to.equal(6);
      const placed = journal.packagesOfBatch(batch.batchKey);
      expect([...placed.keys()]).to.deep.equal(all.map((r) => r.recordId));
      expect([...placed.values()].map((p) => [p.pkg.signature, p.index])).to.deep.equal(
        all.map((_, i) => [SIGNATURE, i]),
      );
      expect(journal.packageOfRecord("r5")).to.deep.include({ index: 5 });
    });

    it("stores a period's packages in slices of as many records as the records' slices, pausing between them", async function () {
      const all = rows(6);
      const seen: number[][] = [];
      await journal.recordPeriodInSlices(head, all, [batch], {
        sliceRecords: 4,
        pause: async () => void seen.push([packageCount(journal), placedCount(journal)]),
        placement: placement(all, 2),
      });
      expect(seen).to.deep.equal([
        [2, 0],
        [3, 0],
        [3, 0],
        [3, 4],
        [3, 6],
        [3, 6],
      ]);
      expect([...journal.packagesOfBatch(batch.batchKey).values()].map((p) => p.index)).to.deep.equal([
        0, 1, 0, 1, 0, 1,
      ]);
    });

    it("drops a period's records stored only in part, and finds their package again when it is stored again", async function () {
      const all = rows(6);
      let pauses = 0;
      await journal
        .recordPeriodInSlices(head, all, [batch], {
          sliceRecords: 4,
          // A crash after the first slice of records: the head never comes.
          pause: () => (++pauses < 3 ? Promise.resolve() : Promise.reject(new Error("crash"))),
          placement: placement(all),
        })
        .catch(() => undefined);
      expect(placedCount(journal)).to.equal(4);
      expect(journal.dropHeadlessRecords()).to.equal(4);
      expect(placedCount(journal)).to.equal(0);
      await journal.recordPeriodInSlices(head, all, [batch], {
        sliceRecords: 4,
        pause: async () => undefined,
        placement: placement(all),
      });
      expect(placedCount(journal)).to.equal(6);
      expect(packageCount(journal)).to.equal(1);
    });

    it("refuses a record placed in a package that is not among the period's", function () {
      const all = rows(2);
      const { packages, links } = placement(all);
      expect(() =>
        journal.recordPeriod(head, all, [batch], undefined, {
          packages,
          links: [...links, { recordId: "r9", signature: `0x${"6b".repeat(65)}`, index: 0 }],
        }),
      ).to.throw(/record r9: its package 0x6b6b.* is not among the period's/);
      expect(journal.records()).to.deep.equal([]);
    });
  });
});
