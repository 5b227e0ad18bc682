import { expect } from "chai";
import Database from "better-sqlite3";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { SigningKey } from "ethers";
import { CheckpointThread } from "../../src/gateway/checkpointThread";
import { heapLimitNote } from "../../src/gateway/server";
import { GatewayJournal, type InboxPackage } from "../../src/gateway/inbox";
import {
  decodePackage,
  MAX_PACKAGE_BYTES,
  PackageRejected,
  packagesTopic,
  REJECTION_STATUS,
  rejectionsTopic,
  terminalInTopic,
  terminalOfTopic,
  toWire,
} from "../../src/gateway/wire";
import { initMerkle, RecordKind, type GridRecord } from "../../src/merkle";
import { packageDigest, signPackage } from "../../src/pipeline/packages";
import { scratchDir } from "../helpers/scenario";

const CHAIN_ID = 31337n;
const TERMINAL = `0x${"ab".repeat(32)}`;
const KEY = new SigningKey(`0x${"11".repeat(32)}`);

function records(n: number, terminalId = TERMINAL, t0 = 1_800_000_000): GridRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    terminalId,
    kind: RecordKind.Reading,
    timestamp: t0 + i,
    payload: { recordId: `r${i}`, quantity: "P", unit: "MW", value: 10 + i },
  }));
}

function wire(over: Record<string, unknown> = {}): string {
  const pkg = signPackage(KEY, CHAIN_ID, TERMINAL, 1_800_000_000, records(2));
  return JSON.stringify({ ...JSON.parse(toWire(pkg)), ...over });
}

/** The refusal decodePackage throws, or fails the test when it throws none. */
function refusal(raw: string | Buffer): PackageRejected {
  try {
    decodePackage(raw, CHAIN_ID, "mqtt gridledger/v1/x/packages");
  } catch (e) {
    expect(e).to.be.instanceOf(PackageRejected);
    return e as PackageRejected;
  }
  expect.fail("expected the package to be refused");
}

/** The columns of a journal's packages table, read on a connection of its own. */
function packageColumns(path: string): string[] {
  const reader = new Database(path, { readonly: true });
  try {
    return (reader.prepare("PRAGMA table_info(packages)").all() as { name: string }[]).map((c) => c.name);
  } finally {
    reader.close();
  }
}

function inboxRow(i: number, over: Partial<InboxPackage> = {}): InboxPackage {
  return {
    packageId: `0x${i.toString(16).padStart(64, "0")}`,
    terminalId: TERMINAL,
    period: 7,
    recordCount: 3,
    bytes: 100,
    via: "mqtt",
    receivedMs: 1_000 + i,
    body: "{}",
    ...over,
  };
}

describe("gateway", function () {
  before(async function () {
    await initMerkle();
  });

  describe("decodePackage", function () {
    it("decodes a signed package and derives its id from the EIP-712 digest", function () {
      const pkg = signPackage(KEY, CHAIN_ID, TERMINAL, 1_800_000_000, records(3));
      const body = toWire(pkg);
      const decoded = decodePackage(Buffer.from(body), CHAIN_ID, "test");
      expect(decoded.packageId).to.equal(packageDigest(CHAIN_ID, pkg));
      expect(decoded.bytes).to.equal(Buffer.byteLength(body));
      expect(decoded.pkg.records).to.deep.equal(pkg.records);
      expect(Buffer.from(decoded.pkg.leafHashes)).to.deep.equal(Buffer.from(pkg.leafHashes));
    });

    it("lower-cases the terminal id so the id does not depend on hex case", function () {
      const upper = decodePackage(wire({ terminalId: TERMINAL.toUpperCase().replace("0X", "0x") }), CHAIN_ID, "t");
      expect(upper.pkg.terminalId).to.equal(TERMINAL);
      expect(upper.packageId).to.equal(decodePackage(wire(), CHAIN_ID, "t").packageId);
    });

    it("refuses a payload that is not JSON with NOT_JSON, naming where it came from", function () {
      const e = refusal("{not json");
      expect(e.reason).to.equal("NOT_JSON");
      expect(e.detail).to.contain("mqtt gridledger/v1/x/packages").and.contain("not JSON");
    });

    it("refuses a payload over the size limit with TOO_LARGE before parsing it", function () {
      const e = refusal(Buffer.alloc(MAX_PACKAGE_BYTES + 1, 0x20));
      expect(e.reason).to.equal("TOO_LARGE");
      expect(e.detail).to.contain(String(MAX_PACKAGE_BYTES + 1));
    });

    const schemaCases: [string, Record<string, unknown>, string][] = [
      ["a periodStart that is not a number", { periodStart: "soon" }, "periodStart"],
      ["a fractional periodStart", { periodStart: 1.5 }, "periodStart"],
      ["a terminal id of the wrong length", { terminalId: "0x1234" }, "terminalId"],
      ["an empty record list", { records: [] }, "records"],
      ["a short signature", { signature: "0x1234" }, "signature"],
      ["an unknown field", { extra: 1 }, "extra"],
    ];
    for (const [what, over, field] of schemaCases)
      it(`refuses ${what} with SCHEMA, naming the field ${field}`, function () {
        const e = refusal(wire(over));
        expect(e.reason).to.equal("SCHEMA");
        expect(e.detail).to.contain(field);
      });

    it("names the record field at fault inside the records list", function () {
      const body = JSON.parse(wire()) as { records: Record<string, unknown>[] };
      body.records[1] = { ...body.records[1], kind: "reading" };
      const e = refusal(JSON.stringify(body));
      expect(e.reason).to.equal("SCHEMA");
      expect(e.detail).to.match(/records\.1\.kind|records\[1\]\.kind/);
    });

    it("refuses a payload number beyond 2^53 with SCHEMA naming its field, instead of rounding it", function () {
      const text = wire().replace('"value":11', '"value":12345678901234567890');
      expect(text).to.contain("12345678901234567890");
      const e = refusal(text);
      expect(e.reason).to.equal("SCHEMA");
      expect(e.detail).to.match(/records\.1\.payload\.value|records\[1\]\.payload\.value/);
      expect(e.detail).to.contain("decimal string");
      // Nested and negative numbers too; 2^53 - 1 and decimal strings are exact and pass.
      const nested = wire().replace('"value":11', '"value":{"phases":[1,-9007199254740993]}');
      expect(refusal(nested).detail).to.match(/payload\.value\.phases\.1|payload\.value\.phases\[1\]/);
      expect(() =>
        decodePackage(wire().replace('"value":11', '"value":9007199254740991'), CHAIN_ID, "t"),
      ).to.not.throw();
    });

    it("keeps the terminal id of a package refused for its schema (so the refusal can be answered)", function () {
      expect(refusal(wire({ periodStart: -1 })).terminalId).to.equal(TERMINAL);
      expect(refusal(JSON.stringify({ terminalId: 5 })).terminalId).to.equal(null);
    });

    it("maps every reason to a 4xx or 503 status", function () {
      for (const [reason, status] of Object.entries(REJECTION_STATUS))
        expect(status === 503 || (status >= 400 && status < 500), reason).to.equal(true);
    });
  });

  describe("topics", function () {
    it("parses the terminal id of a packages topic, lower-cased", function () {
      expect(terminalOfTopic(`gridledger/v1/${TERMINAL.toUpperCase().replace("0X", "0x")}/packages`)).to.equal(
        TERMINAL,
      );
      expect(terminalOfTopic(packagesTopic(TERMINAL))).to.equal(TERMINAL);
    });

    it("returns undefined for any topic that is not a packages topic", function () {
      for (const topic of [
        rejectionsTopic(TERMINAL),
        `gridledger/v1/${TERMINAL}/packages/extra`,
        `gridledger/v2/${TERMINAL}/packages`,
        `gridledger/v1/0x1234/packages`,
        `gridledger/v1/+/packages`,
        `x/gridledger/v1/${TERMINAL}/packages`,
      ])
        expect(terminalOfTopic(topic), topic).to.equal(undefined);
    });

    it("names the terminal of any of its topics, to answer a publish to the wrong one", function () {
      expect(terminalInTopic(`gridledger/v1/${TERMINAL}/status`)).to.equal(TERMINAL);
      expect(terminalInTopic(packagesTopic(TERMINAL))).to.equal(TERMINAL);
      expect(terminalInTopic(`gridledger/v1/${TERMINAL}`)).to.equal(undefined);
      expect(terminalInTopic("gridledger/v1/0x12/status")).to.equal(undefined);
    });

    it("builds packages and rejections topics in lower case", function () {
      const upper = TERMINAL.toUpperCase().replace("0X", "0x");
      expect(packagesTopic(upper)).to.equal(`gridledger/v1/${TERMINAL}/packages`);
      expect(rejectionsTopic(upper)).to.equal(`gridledger/v1/${TERMINAL}/rejections`);
    });
  });

  describe("GatewayJournal", function () {
    let journal: GatewayJournal;
    let path: string;
    let transactions: number;
    beforeEach(function () {
      path = join(scratchDir("gw-journal"), "journal.sqlite");
      journal = new GatewayJournal(path);
      transactions = 0;
      // Count the SQLite transactions the group commit opens.
      const db = (journal as unknown as { db: { transaction: (fn: () => void) => () => void } }).db;
      const original = db.transaction.bind(db);
      db.transaction = (fn) => {
        const run = original(fn);
        return () => {
          transactions++;
          run();
        };
      };
    });
    afterEach(function () {
      journal.close();
    });

    context("when many packages arrive in one turn of the event loop", function () {
      it("commits them in one transaction and resolves each after the commit", async function () {
        const writes = Array.from({ length: 200 }, (_, i) => journal.addPackage(inboxRow(i)));
        writes.push(
          journal.addRejection({
            atMs: 1,
            via: "http",
            terminalId: null,
            packageId: null,
            reason: "NOT_JSON",
            detail: "x",
          }),
        );
        expect(journal.hasPackage(inboxRow(0).packageId), "nothing is written before the turn ends").to.equal(false);
        const fresh = await Promise.all(writes);
        expect(fresh.every((f) => f)).to.equal(true);
        expect(transactions).to.equal(1);
        expect(journal.hasPackage(inboxRow(199).packageId)).to.equal(true);
        expect(journal.rejections()).to.have.length(1);
      });
    });

    context("when a package id is journaled twice", function () {
      it("resolves false for the duplicate, in the same turn or a later one, and stores one row", async function () {
        const [first, sameTurn] = await Promise.all([journal.addPackage(inboxRow(1)), journal.addPackage(inboxRow(1))]);
        expect([first, sameTurn]).to.deep.equal([true, false]);
        expect(await journal.addPackage(inboxRow(1, { via: "http" }))).to.equal(false);
        expect(journal.packageOf(inboxRow(1).packageId)).to.include({ via: "mqtt", processed: false });
        expect(journal.inboxOf(7)).to.have.length(1);
      });
    });

    context("when the transaction fails", function () {
      it("rejects every write of the turn and acknowledges none", async function () {
        const bad = inboxRow(2, { recordCount: {} as unknown as number }); // SQLite cannot bind an object
        const writes = [journal.addPackage(inboxRow(1)), journal.addPackage(bad)];
        const settled = await Promise.allSettled(writes);
        expect(settled.map((s) => s.status)).to.deep.equal(["rejected", "rejected"]);
        expect(journal.hasPackage(inboxRow(1).packageId), "rolled back").to.equal(false);
        expect(journal.backlog()).to.equal(0);
      });
    });

    describe("backlog", function () {
      it("counts the records of new packages only, not of duplicates", async function () {
        await Promise.all([journal.addPackage(inboxRow(1)), journal.addPackage(inboxRow(2, { recordCount: 5 }))]);
        await journal.addPackage(inboxRow(1));
        expect(journal.backlog()).to.equal(8);
      });

      it("drops a period's packages once processed and is recounted from the tables on reopening", async function () {
        await Promise.all([
          journal.addPackage(inboxRow(1)),
          journal.addPackage(inboxRow(2, { period: 8, recordCount: 4 })),
        ]);
        expect(journal.inboxPeriods()).to.deep.equal([7, 8]);
        journal.markProcessed(7);
        expect(journal.refreshBacklog()).to.equal(4);
        expect(journal.inboxPeriods()).to.deep.equal([8]);
        journal.close();
        journal = new GatewayJournal(path);
        expect(journal.backlog(), "a restarted gateway recounts its backlog").to.equal(4);
        expect(journal.inboxOf(8).map((p) => p.packageId)).to.deep.equal([inboxRow(2).packageId]);
      });
    });

    it("lists a period's inbox without bodies and reads the bodies of a slice of it", async function () {
      await Promise.all([1, 2, 3].map((i) => journal.addPackage(inboxRow(i, { body: `{"n":${i}}` }))));
      const entries = journal.inboxOf(7);
      expect(entries.map((e) => e.packageId)).to.deep.equal([1, 2, 3].map((i) => inboxRow(i).packageId));
      expect(entries[0]).to.not.have.property("body");
      expect(journal.bodiesOf(entries.slice(1))).to.deep.equal(['{"n":2}', '{"n":3}']);
    });

    it("keeps the packages' bodies out of their rows, so marking a period processed does not read them", async function () {
      const body = JSON.stringify({ records: "x".repeat(50_000) });
      await Promise.all([1, 2, 3].map((i) => journal.addPackage(inboxRow(i, { body }))));
      expect(packageColumns(path)).to.include("processed").and.not.include("body");
      journal.markProcessed(7);
      expect(journal.inboxPeriods()).to.deep.equal([]);
      expect(journal.packageOf(inboxRow(3).packageId)).to.include({ body, processed: true });
    });

    it("moves an older journal's bodies out of its packages' rows when it is opened", async function () {
      journal.close();
      const old = new Database(path);
      old.exec(`DROP TABLE packages; DROP TABLE package_bodies;
        CREATE TABLE packages (package_id TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, period INTEGER NOT NULL,
          record_count INTEGER NOT NULL, bytes INTEGER NOT NULL, via TEXT NOT NULL, received_ms INTEGER NOT NULL,
          body TEXT NOT NULL, processed INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX packages_by_period ON packages (processed, period);`);
      const insert = old.prepare("INSERT INTO packages VALUES (?, ?, 7, 3, 100, 'mqtt', ?, ?, ?)");
      for (const i of [1, 2]) insert.run(inboxRow(i).packageId, TERMINAL, 1_000 + i, `{"n":${i}}`, i - 1);
      old.close();
      journal = new GatewayJournal(path);
      expect(packageColumns(path)).to.not.include("body");
      expect(journal.bodiesOf(journal.inboxOf(7))).to.deep.equal(['{"n":1}']);
      expect(journal.packageOf(inboxRow(2).packageId)).to.include({ body: '{"n":2}', processed: true });
      await journal.addPackage(inboxRow(3, { body: '{"n":3}' }));
      expect(journal.bodiesOf(journal.inboxOf(7))).to.deep.equal(['{"n":1}', '{"n":3}']);
    });

    it("keeps the validate stage's history apart: appended, pruned before keepFrom, NaN temperature as none", function () {
      journal.appendStageHistory({ timestamps: [1, 2, 3], load: [10, 20, 30], temperature: [5, NaN, 7] }, 0);
      journal.appendStageHistory({ timestamps: [4, 5], load: [40, 50], temperature: [8, 9] }, 3);
      const stored = journal.stageHistory();
      expect(stored.timestamps).to.deep.equal([3, 4, 5]);
      expect(stored.load).to.deep.equal([30, 40, 50]);
      expect(stored.temperature).to.deep.equal([7, 8, 9]);
      journal.appendStageHistory({ timestamps: [6], load: [60], temperature: [NaN] }, 3);
      expect(journal.stageHistory().temperature.at(-1)).to.be.NaN;
      journal.clearStageHistory();
      expect(journal.stageHistory().timestamps).to.deep.equal([]);
    });

    describe("CheckpointThread", function () {
      it("copies the WAL into the database from its own thread, the writer's threshold pushed far out", async function () {
        this.timeout(30_000);
        const db = (journal as unknown as { db: import("better-sqlite3").Database }).db;
        expect(db.pragma("wal_autocheckpoint", { simple: true })).to.equal(1000);
        const checkpoints = new CheckpointThread(journal, 60_000, () => undefined);
        try {
          expect(db.pragma("wal_autocheckpoint", { simple: true })).to.equal(16_384);
          // About 12 MB of bodies in four commits: past SQLite's own 1,000-page threshold twice, and the writer,
          // which no longer checkpoints at it, keeps the whole log for the thread.
          const body = "x".repeat(40_000);
          for (let commit = 0; commit < 4; commit++)
            await Promise.all(
              Array.from({ length: 75 }, (_, i) => journal.addPackage(inboxRow(commit * 75 + i, { body }))),
            );
          const before = await checkpoints.checkpoint();
          expect(before.log).to.be.greaterThan(2_900);
          expect(before.checkpointed).to.equal(before.log);
          expect(journal.bodiesOf(journal.inboxOf(7).slice(-1))).to.deep.equal([body]);
        } finally {
          await checkpoints.close();
        }
      });
    });

    it("filters refusals by terminal (any hex case) and reason, newest first", async function () {
      const base = { via: "mqtt", packageId: null, detail: "d" };
      await journal.addRejection({ ...base, atMs: 1, terminalId: TERMINAL, reason: "BAD_SIGNATURE" });
      await journal.addRejection({ ...base, atMs: 2, terminalId: TERMINAL, reason: "REPLAY" });
      await journal.addRejection({ ...base, atMs: 3, terminalId: `0x${"cd".repeat(32)}`, reason: "REPLAY" });
      const upper = TERMINAL.toUpperCase().replace("0X", "0x");
      expect(journal.rejections({ terminalId: upper }).map((r) => r.atMs)).to.deep.equal([2, 1]);
      expect(journal.rejections({ reason: "REPLAY" }).map((r) => r.atMs)).to.deep.equal([3, 2]);
      expect(journal.rejections({ terminalId: TERMINAL, reason: "REPLAY" })).to.have.length(1);
    });
  });

  describe("heapLimitNote", function () {
    it("says nothing under a capped heap and names the limit and the cap to set otherwise", function () {
      expect(heapLimitNote(512)).to.equal(undefined);
      expect(heapLimitNote(1024)).to.equal(undefined);
      const note = heapLimitNote(4144.2);
      expect(note).to.include("may grow to 4144 MB");
      expect(note).to.include("NODE_OPTIONS=--max-old-space-size=512");
    });
  });

  describe("grid:serve task registration", function () {
    it("registers every task without loading typechain-types (so a fresh checkout can compile)", function () {
      this.timeout(60_000);
      // Fail any require of typechain-types, as on a checkout where `hardhat compile` has not run yet.
      const probe = `
        const Module = require("module");
        const resolve = Module._resolveFilename;
        Module._resolveFilename = function (request, ...rest) {
          if (request.includes("typechain-types")) throw new Error("typechain-types required by " + rest[0].id);
          return resolve.call(this, request, ...rest);
        };
        require("hardhat/internal/context").HardhatContext.createHardhatContext();
        require("./tasks/index.ts");
        console.log("loaded");`;
      const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", probe], {
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(r.stdout + r.stderr).to.contain("loaded");
    });
  });
});
