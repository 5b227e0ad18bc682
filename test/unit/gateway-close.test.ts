import { expect } from "chai";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ProofStore, treeFilePath, writeBatchTrees } from "../../src/gateway/batchTrees";
import { GATEWAY_DEFAULTS } from "../../src/gateway/core";
import { GatewayJournal } from "../../src/gateway/inbox";
import { MerkleThread } from "../../src/gateway/merkleThread";
import {
  BatchTree,
  checkRecordProof,
  FastMerkleTree,
  initMerkle,
  makeRecordProof,
  RecordKind,
  rootOfLeafHashes,
  type BatchInfo,
  type GridRecord,
  type Hex,
} from "../../src/merkle";
import { PackageTree } from "../../src/chain/packages";
import { batchProofDocument, packageProofOf } from "../../src/pipeline/stages/prove";
import type { JournalBatch, JournalPackage, JournalPeriod, JournalRecord } from "../../src/pipeline/journal";
import type { HistorySamples, ValidateStage } from "../../src/validation/stage";
import { stubCore } from "../helpers/gatewayCore";
import { scratchDir } from "../helpers/scenario";

const TERMINAL = `0x${"ab".repeat(32)}`;
const PERIOD = 7;
const CHAIN = { chainId: 31337n, contracts: { DataAcquisition: `0x${"cd".repeat(20)}` } };

function gridRecords(n: number): GridRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    terminalId: TERMINAL,
    kind: RecordKind.Reading,
    timestamp: 1_800_000_000 + i,
    payload: { recordId: `r${i}`, quantity: "P", unit: "MW", value: 10 + i },
  }));
}

/** A period of `n` readings in one batch, as the close stage hands it to the journal. */
function period(n: number, state: JournalBatch["state"] = "built") {
  const records = gridRecords(n);
  const tree = FastMerkleTree.ofRecords(records);
  const batchKey = `p${PERIOD}-readings`;
  const rows: JournalRecord[] = records.map((r, i) => ({
    recordId: `r${i}`,
    period: PERIOD,
    terminalId: r.terminalId,
    label: "T1",
    kind: r.kind,
    timestamp: r.timestamp,
    leafHash: tree.leafHash(i),
    status: "pending",
    reason: null,
    detail: null,
    batchKey,
    payload: JSON.stringify(r.payload),
    actualNorm: null,
    forecastNorm: null,
    fault: null,
  }));
  const batch: Omit<JournalBatch, "updatedAt"> = {
    batchKey,
    period: PERIOD,
    dataType: 21,
    root: tree.root,
    recordCount: n,
    generatorBus: 1,
    terminalId: TERMINAL,
    state,
    header: null,
    signature: null,
    txHash: state === "confirmed" ? `0x${"ee".repeat(32)}` : null,
    nonce: null,
    blockNumber: state === "confirmed" ? 5 : null,
    batchId: state === "confirmed" ? 3 : null,
    gasUsed: null,
  };
  const head: JournalPeriod = { period: PERIOD, state: "validated", generatorBus: 1, routing: "{}", tBuildMs: 1 };
  // One terminal package holds the period's records; proofs carry its signature and each record's place in it.
  const leafHashes = new Uint8Array(32 * n);
  for (let i = 0; i < n; i++) leafHashes.set(Buffer.from(tree.leafHash(i).slice(2), "hex"), 32 * i);
  const pkg: JournalPackage = {
    signature: `0x${"5a".repeat(65)}`,
    terminalId: TERMINAL,
    periodStart: 1_800_000_000,
    recordCount: n,
    recordsRoot: new PackageTree(leafHashes).root,
    leafHashes,
  };
  const links = rows.map((r, index) => ({ recordId: r.recordId, signature: pkg.signature, index }));
  return { rows, batch, head, tree, pkg, links };
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/** The error a promise rejects with; fails the test when it resolves (plain mocha has no chai-as-promised). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  expect.fail("expected a rejection");
}

describe("gateway period close off the event loop", function () {
  let journal: GatewayJournal;
  let dir: string;
  before(initMerkle);
  beforeEach(function () {
    dir = scratchDir("gw-close");
    journal = new GatewayJournal(join(dir, "journal.sqlite"));
  });
  afterEach(function () {
    journal.close();
  });

  describe("rootOfLeafHashes", function () {
    for (const n of [1, 2, 3, 7, 64]) {
      it(`gives the StandardMerkleTree root of ${n} leaf hash(es)`, function () {
        const tree = FastMerkleTree.ofRecords(gridRecords(n));
        const hashes = new Uint8Array(32 * n);
        for (let i = 0; i < n; i++) hashes.set(Buffer.from(tree.leafHash(i).slice(2), "hex"), 32 * i);
        expect(rootOfLeafHashes(hashes)).to.equal(tree.root);
      });
    }

    it("refuses a buffer that is not a non-zero multiple of 32 bytes", function () {
      expect(() => rootOfLeafHashes(new Uint8Array(0))).to.throw(/non-zero multiple of 32 bytes.*got 0/);
      expect(() => rootOfLeafHashes(new Uint8Array(33))).to.throw(/got 33/);
    });
  });

  describe("Journal.recordPeriodInSlices", function () {
    it("stores the records in slices, yielding between them, and the period's head last", async function () {
      const { rows, batch, head } = period(10);
      let pauses = 0;
      await journal.recordPeriodInSlices(head, rows, [batch], {
        sliceRecords: 3,
        pause: async () => {
          pauses++;
          // Between slices the head is not there yet: the records are headless until the last transaction.
          expect(journal.period(PERIOD)).to.equal(undefined);
        },
      });
      // Three between the four slices of records, then four for their leaves (one before sorting them).
      expect(pauses).to.equal(7);
      expect(journal.records({ period: PERIOD })).to.have.length(10);
      expect(journal.period(PERIOD)?.state).to.equal("validated");
      expect(journal.batches({ period: PERIOD }).map((b) => b.root)).to.deep.equal([batch.root]);
    });

    it("leaves a store cut short headless; dropHeadlessRecords removes it so the period can be stored again", async function () {
      const { rows, batch, head } = period(10);
      const cut = journal.recordPeriodInSlices(head, rows, [batch], {
        sliceRecords: 4,
        pause: () => Promise.reject(new Error("crash")),
      });
      expect((await rejection(cut)).message).to.equal("crash");
      expect(journal.records({ period: PERIOD })).to.have.length(4);
      expect(journal.dropHeadlessRecords()).to.equal(4);
      journal.recordPeriod(head, rows, [batch]);
      expect(journal.records({ period: PERIOD })).to.have.length(10);
      expect(journal.dropHeadlessRecords()).to.equal(0);
    });

    it("is dropped by a restarted gateway core, which logs it", async function () {
      const { rows, batch, head } = period(6);
      const cut = journal.recordPeriodInSlices(head, rows, [batch], {
        sliceRecords: 2,
        pause: () => Promise.reject(new Error("crash")),
      });
      expect((await rejection(cut)).message).to.equal("crash");
      const logs: string[] = [];
      stubCore(journal, { terminalId: TERMINAL, proofsDir: dir, log: (m) => logs.push(m) });
      expect(journal.records({ period: PERIOD })).to.have.length(0);
      expect(logs.join("\n")).to.match(/dropped 2 records of a period stored only in part/);
    });
  });

  describe("resumeStage", function () {
    /** A stand-in validate stage that records what the core hands it. */
    function stubStage(restores: boolean) {
      const seen = {
        restored: [] as string[],
        samples: [] as (HistorySamples | undefined)[],
        replayed: [] as number[],
      };
      const stage = {
        lastInstant: -Infinity,
        restore: (text: string, samples?: HistorySamples) => {
          seen.restored.push(text);
          seen.samples.push(samples);
          return restores ? { ok: true } : { ok: false, reason: "taken with another model or setup" };
        },
        refitIfDue: async () => false,
        checkReadings: (readings: { timestamp: number; value: number }[]) =>
          readings.map((r) => (seen.replayed.push(r.value), { result: { ok: true }, withoutPeer: null })),
      };
      return { stage: stage as unknown as ValidateStage, seen };
    }
    /** Periods 5 and 7 of readings (values 5x and 7x), the snapshot stored with period 5. */
    function journalWithSnapshot() {
      for (const p of [5, 7]) {
        const { rows, batch, head } = period(2);
        journal.recordPeriod(
          { ...head, period: p },
          rows.map((r, i) => ({ ...r, recordId: `p${p}r${i}`, period: p, actualNorm: p * 10 + i, batchKey: `b${p}` })),
          [{ ...batch, period: p, batchKey: `b${p}`, root: `0x${String(p).padStart(64, "0")}` }],
        );
      }
      journal.setMeta("validateStage", { period: 5, state: "state after period 5" });
    }
    const core = (stage: ValidateStage, logs: string[]) =>
      stubCore(journal, { terminalId: TERMINAL, proofsDir: dir, log: (m) => logs.push(m), stage });

    it("restores the stored snapshot and replays only the readings of later periods", async function () {
      journalWithSnapshot();
      const { stage, seen } = stubStage(true);
      expect(await core(stage, []).resumeStage()).to.equal(2);
      expect(seen.restored).to.deep.equal(["state after period 5"]);
      expect(seen.replayed).to.deep.equal([70, 71]);
    });

    it("restores a snapshot whose history is kept apart with the history stored", async function () {
      journalWithSnapshot();
      const history = { timestamps: [1, 2], load: [10, 20], temperature: [3, NaN] };
      journal.appendStageHistory(history, 0);
      journal.setMeta("validateStage", { period: 5, state: "state after period 5", history: "apart" });
      const { stage, seen } = stubStage(true);
      expect(await core(stage, []).resumeStage()).to.equal(2);
      expect(seen.samples).to.deep.equal([history]);
      expect(journal.stageHistory()).to.deep.equal(history);
    });

    it("forgets the stored history when the snapshot cannot be used (the replayed stage stores its own)", async function () {
      journalWithSnapshot();
      journal.appendStageHistory({ timestamps: [1], load: [10], temperature: [3] }, 0);
      journal.setMeta("validateStage", { period: 5, state: "state after period 5", history: "apart" });
      await core(stubStage(false).stage, []).resumeStage();
      expect(journal.stageHistory().timestamps).to.deep.equal([]);
    });

    it("replays every reading, and says why, when the snapshot cannot be used", async function () {
      journalWithSnapshot();
      const { stage, seen } = stubStage(false);
      const logs: string[] = [];
      expect(await core(stage, logs).resumeStage()).to.equal(4);
      expect(seen.replayed).to.deep.equal([50, 51, 70, 71]);
      expect(logs.join("\n")).to.match(/snapshot not used \(taken with another model or setup\)/);
    });
  });

  describe("Journal.recordIdsTaken", function () {
    it("gives the ids the journal holds among those asked, in one query", function () {
      const { rows, batch, head } = period(3);
      journal.recordPeriod(head, rows, [batch]);
      expect([...journal.recordIdsTaken(["r2", "nope", "r0", 'quote"d', "r0"])].sort()).to.deep.equal(["r0", "r2"]);
      expect(journal.recordIdsTaken([]).size).to.equal(0);
      for (const id of ["r0", "r1", "r2", "nope"])
        expect(journal.recordIdsTaken([id]).has(id)).to.equal(journal.hasRecordId(id));
    });
  });

  describe("the close timer's turn", function () {
    it("reads the inbox once after start, then not again until a period is due", async function () {
      const nowMs = 1_800_000_002_000;
      const core = stubCore(journal, { terminalId: TERMINAL, proofsDir: dir, now: () => nowMs });
      let reads = 0;
      const inboxPeriods = journal.inboxPeriods.bind(journal);
      journal.inboxPeriods = () => (reads++, inboxPeriods());
      await core.closeDuePeriods();
      expect(reads).to.equal(1);
      for (let i = 0; i < 5; i++) await core.closeDuePeriods();
      expect(reads).to.equal(1);
    });

    it("starts anchoring after each period it closes, not once all due periods are closed", async function () {
      let nowMs = 1_800_000_002_000;
      const core = stubCore(journal, {
        terminalId: TERMINAL,
        proofsDir: dir,
        policy: { ...GATEWAY_DEFAULTS, periodSeconds: 5, graceSeconds: 1 },
        now: () => nowMs,
      });
      const first = core.health().closedThrough + 1;
      for (const period of [first, first + 1])
        void journal.addPackage({
          packageId: `0x${String(period).padStart(64, "0")}`,
          terminalId: TERMINAL,
          period,
          recordCount: 1,
          bytes: 2,
          via: "mqtt",
          receivedMs: nowMs,
          body: "{}",
        });
      journal.flush();
      // Both periods are due at once (closing fell behind); the steps are recorded instead of run.
      nowMs += 20_000;
      const steps: string[] = [];
      const internals = core as unknown as { closePeriod(p: number): Promise<void>; kickAnchoring(): void };
      internals.closePeriod = async (p) => void steps.push(`close ${p - first}`);
      internals.kickAnchoring = () => void steps.push("anchor");
      await core.closeDuePeriods();
      expect(steps.slice(0, 3)).to.deep.equal(["close 0", "anchor", "close 1"]);
    });
  });

  describe("Journal.completePeriodInSlices", function () {
    it("marks every pending record of the confirmed batches anchored, in slices, then the period done", async function () {
      const { rows, batch, head } = period(9, "confirmed");
      const quarantined = {
        ...rows[0],
        recordId: "q",
        leafHash: `0x${"01".repeat(32)}`,
        status: "quarantined" as const,
        batchKey: null,
      };
      journal.recordPeriod(head, [...rows, quarantined], [batch]);
      let pauses = 0;
      await journal.completePeriodInSlices(PERIOD, { sliceRecords: 4, pause: async () => void pauses++ });
      expect(pauses).to.equal(2);
      expect(journal.records({ period: PERIOD, status: "anchored" })).to.have.length(9);
      expect(journal.records({ period: PERIOD, status: "quarantined" })).to.have.length(1);
      expect(journal.period(PERIOD)?.state).to.equal("done");
    });

    it("takes a done period out of the open periods the anchoring loop asks for on every turn", async function () {
      const { rows, batch, head } = period(2, "confirmed");
      journal.recordPeriod(head, rows, [batch]);
      journal.recordPeriod({ ...head, period: PERIOD + 1 }, [], []);
      expect(journal.openPeriods()).to.deep.equal([PERIOD, PERIOD + 1]);
      await journal.completePeriodInSlices(PERIOD, { sliceRecords: 10, pause: nextTurn });
      expect(journal.openPeriods()).to.deep.equal([PERIOD + 1]);
      expect(journal.periods().map((p) => p.period)).to.deep.equal([PERIOD, PERIOD + 1]);
    });

    it("leaves records of unconfirmed batches pending", async function () {
      const { rows, batch, head } = period(3, "submitted");
      journal.recordPeriod(head, rows, [batch]);
      await journal.completePeriodInSlices(PERIOD, { sliceRecords: 2, pause: nextTurn });
      expect(journal.records({ period: PERIOD, status: "pending" })).to.have.length(3);
    });
  });

  describe("MerkleThread", function () {
    let thread: MerkleThread;
    let treesDir: string;
    beforeEach(function () {
      treesDir = join(dir, "proofs-thread");
      mkdirSync(treesDir);
      thread = new MerkleThread({ proofsDir: treesDir });
    });
    afterEach(async function () {
      await thread.close();
    });

    it("computes the same roots as the in-process builder for several batches at once, and stores each tree", async function () {
      this.timeout(60_000);
      const trees = [1, 5, 300].map((n) => FastMerkleTree.ofRecords(gridRecords(n)));
      const hashes = trees.map((t) => {
        const h = new Uint8Array(32 * t.length);
        for (let i = 0; i < t.length; i++) h.set(Buffer.from(t.leafHash(i).slice(2), "hex"), 32 * i);
        return h;
      });
      const expected = hashes.map((h) => Buffer.from(BatchTree.build(h).nodes));
      const batches = hashes.map((h, i) => ({ batchKey: `b${i}`, hashes: h }));
      expect(await thread.trees(batches)).to.deep.equal(trees.map((t) => t.root));
      expect(readdirSync(treesDir).sort()).to.deep.equal(["b0.tree", "b1.tree", "b2.tree"]);
      expected.forEach((nodes, i) => expect(readFileSync(join(treesDir, `b${i}.tree`)).equals(nodes)).to.equal(true));
    });

    it("starts and loads on ready(), before any period closes, writing nothing", async function () {
      this.timeout(60_000);
      expect(thread.started).to.equal(false);
      await thread.ready();
      expect(thread.started).to.equal(true);
      expect(readdirSync(treesDir)).to.deep.equal([]);
    });

    it("rejects with the reason when a batch has no leaves, and keeps working", async function () {
      this.timeout(60_000);
      expect((await rejection(thread.trees([{ batchKey: "empty", hashes: new Uint8Array(0) }]))).message).to.match(
        /Merkle thread: Merkle tree: expected a non-zero multiple of 32 bytes of leaf hashes, got 0/,
      );
      expect(await thread.trees([{ batchKey: "one", hashes: new Uint8Array(32) }])).to.deep.equal([
        `0x${"00".repeat(32)}`,
      ]);
    });

    it("starts a new thread after the last one was stopped", async function () {
      this.timeout(60_000);
      await thread.trees([{ batchKey: "a", hashes: new Uint8Array(32) }]);
      await thread.close();
      expect(await thread.trees([{ batchKey: "a", hashes: new Uint8Array(32).fill(1) }])).to.deep.equal([
        `0x${"01".repeat(32)}`,
      ]);
    });
  });

  describe("ProofStore", function () {
    const INFO: BatchInfo = {
      batchId: 3,
      blockNumber: 5,
      chainId: 31337,
      contract: CHAIN.contracts.DataAcquisition as Hex,
      txHash: `0x${"ee".repeat(32)}`,
    };
    let store: ProofStore;
    beforeEach(function () {
      store = new ProofStore(journal, dir, CHAIN);
    });

    /** A confirmed period of `n` records whose batch tree the close stored. */
    function closed(n: number) {
      const p = period(n, "confirmed");
      journal.recordPeriod(p.head, p.rows, [p.batch], undefined, { packages: [p.pkg], links: p.links });
      journal.updateBatch(p.batch.batchKey, "confirmed", {
        txHash: INFO.txHash,
        blockNumber: INFO.blockNumber,
        batchId: INFO.batchId,
      });
      const hashes = Buffer.concat(p.rows.map((r) => Buffer.from(r.leafHash.slice(2), "hex")));
      expect(writeBatchTrees(dir, [{ batchKey: p.batch.batchKey, hashes }])).to.deep.equal([p.tree.root]);
      return { ...p, stored: journal.batchByKey(p.batch.batchKey)! };
    }

    it("derives every record's proof from the stored tree, identical to the in-process tree's", function () {
      const { rows, tree, stored, pkg } = closed(25);
      const records = gridRecords(25);
      rows.forEach((r, i) => {
        const proof = store.recordProof(r, stored)!;
        const signed = packageProofOf(31337, { pkg, index: i });
        expect(proof).to.deep.equal(makeRecordProof(tree, i, records[i], INFO, signed));
        expect(proof.package?.signature).to.equal(pkg.signature);
        expect(checkRecordProof(proof)).to.deep.equal([]);
      });
    });

    it("gives a proof without a package for a record journaled before package signatures were", function () {
      const p = period(3, "confirmed");
      journal.recordPeriod(p.head, p.rows, [p.batch]);
      journal.updateBatch(p.batch.batchKey, "confirmed", { txHash: INFO.txHash, blockNumber: 5, batchId: 3 });
      const proof = store.recordProof(p.rows[1], journal.batchByKey(p.batch.batchKey)!)!;
      expect(proof).to.deep.equal(makeRecordProof(p.tree, 1, gridRecords(3)[1], INFO));
      expect(proof).to.not.have.property("package");
    });

    it("gives the batch's proofs document byte-identical to the prove stage's", function () {
      const { stored } = closed(9);
      expect(JSON.stringify(store.batchDocument(stored))).to.equal(
        JSON.stringify(batchProofDocument({ journal, chain: CHAIN }, stored)),
      );
    });

    it("rebuilds a missing tree from the journal's records and stores it again", function () {
      const { rows, tree, stored } = closed(6);
      rmSync(treeFilePath(dir, stored.batchKey));
      expect(store.recordProof(rows[2], stored)?.proof).to.deep.equal(tree.getProof(2));
      expect(new BatchTree(readFileSync(treeFilePath(dir, stored.batchKey))).root).to.equal(tree.root);
    });

    it("rebuilds a tree file that does not hold the journaled root (a stale or damaged file)", function () {
      const { rows, tree, stored } = closed(6);
      writeFileSync(treeFilePath(dir, stored.batchKey), BatchTree.build(new Uint8Array(96).fill(7)).nodes);
      expect(store.recordProof(rows[0], stored)?.root).to.equal(tree.root);
      writeFileSync(treeFilePath(dir, stored.batchKey), "not a tree");
      expect(new ProofStore(journal, dir, CHAIN).recordProof(rows[1], stored)?.proof).to.deep.equal(tree.getProof(1));
    });

    it("refuses, naming the batch, when the journal's records do not rebuild the anchored root", function () {
      const { rows, batch, head } = period(4, "confirmed");
      journal.recordPeriod(head, rows, [{ ...batch, root: `0x${"00".repeat(32)}` }]);
      expect(() => store.recordProof(rows[0], journal.batchByKey(batch.batchKey)!)).to.throw(
        /p7-readings: journal records rebuild root 0x[0-9a-f]{64}, not 0x0{64}/,
      );
    });

    it("gives no proof while the batch is not confirmed, and no proofs document", function () {
      const { rows, batch, head } = period(3, "submitted");
      journal.recordPeriod(head, rows, [batch]);
      const stored = journal.batchByKey(batch.batchKey)!;
      expect(store.recordProof(rows[0], stored)).to.equal(undefined);
      expect(() => store.batchDocument(stored)).to.throw(/p7-readings is submitted, not confirmed/);
    });

    it("refuses a record that is not a leaf of the batch's tree", function () {
      const { rows, stored } = closed(4);
      const other = { ...rows[1], recordId: "x", payload: JSON.stringify({ recordId: "x", value: 1 }) };
      expect(() => store.recordProof(other, stored)).to.throw(
        /p7-readings: record x is not a leaf of the batch's tree/,
      );
    });
  });
});
