import { expect } from "chai";
import Database from "better-sqlite3";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HDNodeWallet, hexlify, Mnemonic, SigningKey, TypedDataEncoder, Wallet } from "ethers";
import { DEV_MNEMONIC, devTerminalWallet, terminalKeyIndex } from "../../src/chain/keys";
import { createRng } from "../../src/common/rng";
import { loadCase } from "../../src/grid/case";
import { terminalIdFor } from "../../src/grid/ids";
import { initMerkle, RecordKind, type GridRecord } from "../../src/merkle";
import { DEFAULT_FAULTS, planFaults } from "../../src/pipeline/faults";
import { ingestPackage, type DirectoryEntry } from "../../src/pipeline/ingest";
import { builtBatch, Journal, type JournalRecord } from "../../src/pipeline/journal";
import { PackageTree } from "../../src/chain/packages";
import { packageDigest, packageDomain, packageSigner, PACKAGE_TYPES, signPackage } from "../../src/pipeline/packages";
import { scenarioTerminals, sellerBuses } from "../../src/pipeline/scenario";
import { checkTransaction } from "../../src/pipeline/transactions";
import { resolveRunOptions } from "../../src/pipeline/options";
import { callWithRetry, NodeUnavailableError } from "../../src/pipeline/sender";

const CHAIN = 31337n;
const WINDOW = 1_800_000_000;

function reading(terminalId: string, timestamp: number, value: number): GridRecord {
  return { terminalId, kind: RecordKind.Reading, timestamp, payload: { recordId: `r${timestamp}`, value } };
}

describe("pipeline", function () {
  before(async function () {
    await initMerkle();
  });

  describe("scenario", function () {
    it("places a CPPS node on every IEEE 39 bus, the paper's six sources, and a meter per load bus", function () {
      const { name, grid } = loadCase({ case: "ieee39" });
      const terminals = scenarioTerminals(name, grid);
      const nodes = terminals.filter((t) => t.role === "node");
      const meters = terminals.filter((t) => t.role === "meter");
      expect(nodes).to.have.length(39);
      expect(meters).to.have.length(21);
      const sources = nodes.filter((t) => t.source).map((t) => [t.bus, t.kind, t.source!.bytes / 1e6]);
      expect(sources).to.have.deep.members([
        [1, "TTU", 4],
        [13, "TTU", 9],
        [17, "TTU", 6],
        [5, "PMU", 8],
        [8, "PMU", 14],
        [15, "PMU", 12],
      ]);
      expect(nodes.filter((t) => !t.source).every((t) => t.kind === "FTU" && t.samplesPerPeriod === 0)).to.equal(true);
      expect(meters.find((t) => t.bus === 39)!.nominalMw).to.equal(1104);
      expect(terminals.find((t) => t.label === "ieee39.bus13.node")!.terminalId).to.equal(terminalIdFor("ieee39", 13));
      expect(sellerBuses(grid)[0]).to.equal(39);
    });
  });

  describe("faults", function () {
    it("draws the same plan from the same seed, scaled to the run length", function () {
      const a = planFaults(7, 192, [1, 2, 3], [4, 5]);
      const b = planFaults(7, 192, [1, 2, 3], [4, 5]);
      expect(a).to.deep.equal(b);
      expect(a.stuck).to.have.length(2 * DEFAULT_FAULTS.stuckPerDay);
      const count = (m: Map<number, number[]>) => [...m.values()].reduce((n, l) => n + l.length, 0);
      expect(count(a.replay)).to.equal(2 * DEFAULT_FAULTS.replayPerDay);
      expect([...a.badSignature.keys()].every((p) => p >= 1 && p < 192)).to.equal(true);
      expect(planFaults(8, 192, [1, 2, 3], [4, 5])).to.not.deep.equal(a);
    });
  });

  describe("packages and ingest", function () {
    const key = new SigningKey(Wallet.createRandom().privateKey);
    const signer = new Wallet(key.privateKey).address;
    const terminalId = terminalIdFor("ieee39", 8);
    const directory = new Map<string, DirectoryEntry>([
      [terminalId.toLowerCase(), { label: "ieee39.bus8.node", signer, active: true }],
    ]);
    const ctx = () => ({
      chainId: CHAIN,
      directory,
      windowStart: WINDOW,
      windowEnd: WINDOW + 900,
      seen: new Set<string>(),
    });

    it("accepts a package signed by the registered key and recovers that key", function () {
      const pkg = signPackage(key, CHAIN, terminalId, WINDOW, [
        reading(terminalId, WINDOW, 1),
        reading(terminalId, WINDOW + 60, 2),
      ]);
      expect(packageSigner(CHAIN, pkg)).to.equal(signer.toLowerCase());
      const verdicts = ingestPackage(pkg, ctx());
      expect(verdicts.map((v) => v.ok)).to.deep.equal([true, true]);
    });

    it("derives each terminal's dev key on the full HD path from the mnemonic, cached or not", function () {
      for (const bus of [1, 8, 39]) {
        const id = terminalIdFor("ieee39", bus);
        const path = `m/44'/60'/7'/0/${terminalKeyIndex(id)}`;
        const direct = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), path);
        expect(devTerminalWallet(id).address).to.equal(direct.address);
        expect(devTerminalWallet(id).path).to.equal(path);
        const other = "legal winner thank year wave sausage worth useful legal winner thank yellow";
        expect(devTerminalWallet(id, other).address).to.equal(
          HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(other), path).address,
        );
      }
    });

    it("derives a terminal's dev key once per mnemonic and hands back the same wallet after", function () {
      const id = terminalIdFor("ieee39", 5);
      const other = "legal winner thank year wave sausage worth useful legal winner thank yellow";
      expect(devTerminalWallet(id)).to.equal(devTerminalWallet(id));
      expect(devTerminalWallet(id, other)).to.equal(devTerminalWallet(id, other));
      expect(devTerminalWallet(id, other).address).to.not.equal(devTerminalWallet(id).address);
    });

    it("computes the package digest exactly as ethers' EIP-712 encoder does", function () {
      const rng = createRng(5);
      const hex32 = () => hexlify(Uint8Array.from({ length: 32 }, () => Math.floor(rng.next() * 256)));
      for (const chainId of [1n, CHAIN, 2n ** 40n]) {
        for (const periodStart of [0, WINDOW, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER]) {
          const records = Array.from({ length: 1 + Math.floor(rng.next() * 5) }, (_, i) =>
            reading(terminalId, WINDOW, i),
          );
          const leafHashes = Uint8Array.from({ length: 32 * records.length }, () => Math.floor(rng.next() * 256));
          const id = hex32();
          expect(packageDigest(chainId, { terminalId: id, periodStart, records, leafHashes })).to.equal(
            TypedDataEncoder.hash(packageDomain(chainId), PACKAGE_TYPES, {
              terminalId: id,
              periodStart,
              recordCount: records.length,
              recordsRoot: new PackageTree(leafHashes).root,
            }),
          );
        }
      }
      const records = [reading(terminalId, WINDOW, 1)];
      const leafHashes = new Uint8Array(32);
      expect(() => packageDigest(CHAIN, { terminalId: "0x1234", periodStart: WINDOW, records, leafHashes })).to.throw(
        "package terminalId",
      );
      expect(() => packageDigest(CHAIN, { terminalId, periodStart: -1, records, leafHashes })).to.throw(
        "package periodStart",
      );
    });

    it("refuses an unknown terminal, a suspended one and a wrong key for every record", function () {
      const records = [reading(terminalId, WINDOW, 1)];
      const stranger = terminalIdFor("ieee39", 99);
      expect(
        ingestPackage(signPackage(key, CHAIN, stranger, WINDOW, [reading(stranger, WINDOW, 1)]), ctx())[0],
      ).to.include({ ok: false, reason: "UNKNOWN_TERMINAL" });
      const wrongKey = signPackage(
        new SigningKey(Wallet.createRandom().privateKey),
        CHAIN,
        terminalId,
        WINDOW,
        records,
      );
      expect(ingestPackage(wrongKey, ctx())[0]).to.include({ ok: false, reason: "BAD_SIGNATURE" });
      const suspended = new Map([[terminalId.toLowerCase(), { label: "x", signer, active: false }]]);
      expect(
        ingestPackage(signPackage(key, CHAIN, terminalId, WINDOW, records), { ...ctx(), directory: suspended })[0],
      ).to.include({ ok: false, reason: "TERMINAL_NOT_ACTIVE" });
    });

    it("accepts a backfill signed before the terminal's registration with its first key, not with a later one", function () {
      const later = new SigningKey(Wallet.createRandom().privateKey);
      const registeredAt = WINDOW + 3600;
      const rotated = new Map<string, DirectoryEntry>([
        [
          terminalId.toLowerCase(),
          {
            label: "ieee39.bus8.node",
            signer: new Wallet(later.privateKey).address,
            active: true,
            epochs: [
              { signer, validFrom: registeredAt, validUntil: registeredAt + 60 },
              { signer: new Wallet(later.privateKey).address, validFrom: registeredAt + 60, validUntil: 0 },
            ],
          },
        ],
      ]);
      const records = [reading(terminalId, WINDOW, 1)];
      const c = { ...ctx(), directory: rotated };
      expect(ingestPackage(signPackage(key, CHAIN, terminalId, WINDOW, records), c)[0]).to.include({ ok: true });
      expect(ingestPackage(signPackage(later, CHAIN, terminalId, WINDOW, records), c)[0]).to.include({
        ok: false,
        reason: "BAD_SIGNATURE",
      });
    });

    it("quarantines a record whose payload does not match its data type's schema, naming the record and field", function () {
      const bad = (value: unknown): GridRecord => ({
        ...reading(terminalId, WINDOW, 1),
        payload: { recordId: "m1", quantity: "P", unit: "MW", value } as GridRecord["payload"],
      });
      const c = ctx();
      const verdicts = ingestPackage(
        signPackage(key, CHAIN, terminalId, WINDOW, [bad("abc"), bad(""), bad("12345678901234567890")]),
        c,
      );
      expect(verdicts[0]).to.include({ ok: false, reason: "BAD_PAYLOAD" });
      expect(verdicts[0].ok ? "" : verdicts[0].detail)
        .to.contain("m1 (record 0)")
        .and.contain("payload field value");
      expect(verdicts[1]).to.include({ ok: false, reason: "BAD_PAYLOAD" });
      // A value beyond a double's precision travels exactly as a decimal string.
      expect(verdicts[2]).to.include({ ok: true });
      expect(c.seen.size, "refused records are not marked seen").to.equal(1);
    });

    it("detects a record altered after signing", function () {
      const pkg = signPackage(key, CHAIN, terminalId, WINDOW, [reading(terminalId, WINDOW, 1)]);
      const altered = signPackage(key, CHAIN, terminalId, WINDOW, [reading(terminalId, WINDOW, 2)]);
      expect(ingestPackage({ ...altered, signature: pkg.signature }, ctx())[0]).to.include({
        ok: false,
        reason: "BAD_SIGNATURE",
      });
    });

    it("refuses stale, future, foreign and replayed records one by one", function () {
      const other = terminalIdFor("ieee39", 9);
      const records = [
        reading(terminalId, WINDOW - 7200, 1),
        reading(terminalId, WINDOW + 900, 2),
        reading(other, WINDOW, 3),
        reading(terminalId, WINDOW + 5, 4),
        reading(terminalId, WINDOW + 5, 4),
      ];
      const c = ctx();
      const reasons = ingestPackage(signPackage(key, CHAIN, terminalId, WINDOW, records), c).map((v) =>
        v.ok ? "ok" : v.reason,
      );
      expect(reasons).to.deep.equal(["STALE_TIMESTAMP", "FUTURE_TIMESTAMP", "WRONG_TERMINAL", "ok", "REPLAY"]);
      expect(ingestPackage(signPackage(key, CHAIN, terminalId, WINDOW, [records[3]]), c)[0]).to.include({
        ok: false,
        reason: "REPLAY",
      });
    });
  });

  describe("transactions", function () {
    const buyer = terminalIdFor("ieee39", 4, "meter");
    const seller = terminalIdFor("ieee39", 39);
    const directory = new Map<string, DirectoryEntry>([
      [buyer.toLowerCase(), { label: "b", signer: "0x0", active: true }],
      [seller.toLowerCase(), { label: "s", signer: "0x0", active: true }],
    ]);
    const tx = (payload: Record<string, unknown>): GridRecord => ({
      terminalId: buyer,
      kind: RecordKind.PowerTransaction,
      timestamp: WINDOW,
      payload: {
        seller,
        buyer,
        kwh: 125,
        priceEurMwh: 80,
        frameStart: new Date(WINDOW * 1000).toISOString(),
        ...payload,
      } as never,
    });

    it("passes a well-formed transaction and names each problem", function () {
      expect(checkTransaction(tx({}), directory, WINDOW)).to.equal(null);
      expect(checkTransaction(tx({ seller: terminalIdFor("ieee39", 5) }), directory, WINDOW)?.reason).to.equal(
        "UNKNOWN_COUNTERPARTY",
      );
      expect(checkTransaction(tx({ priceEurMwh: 99_999 }), directory, WINDOW)?.reason).to.equal("PRICE_OUT_OF_RANGE");
      expect(checkTransaction(tx({ frameStart: "2020-01-01T00:00:00Z" }), directory, WINDOW)?.reason).to.equal(
        "FRAME_MISMATCH",
      );
      expect(checkTransaction(tx({ kwh: -1 }), directory, WINDOW)?.reason).to.equal("NEGATIVE_ENERGY");
    });
  });

  describe("journal", function () {
    const record = (
      id: string,
      status: JournalRecord["status"],
      batchKey: string | null,
      reason: string | null = null,
    ): JournalRecord => ({
      recordId: id,
      period: 0,
      terminalId: "0x01",
      label: "t",
      kind: 1,
      timestamp: WINDOW,
      leafHash: `0x${id.padStart(64, "0")}`,
      status,
      reason,
      detail: null,
      batchKey,
      payload: "{}",
      actualNorm: null,
      forecastNorm: null,
      fault: null,
    });
    const batch = builtBatch({
      batchKey: "p0000-readings",
      period: 0,
      dataType: 1,
      root: `0x${"ab".repeat(32)}`,
      recordCount: 2,
      generatorBus: 5,
      terminalId: "0x05",
    });

    it("keeps every step across a reopen and counts records by fate", function () {
      const path = join(mkdtempSync(join(tmpdir(), "journal-")), "journal.sqlite");
      let j = new Journal(path);
      j.recordPeriod(
        { period: 0, state: "validated", generatorBus: 5, routing: "{}", tBuildMs: 1 },
        [
          record("1", "pending", "p0000-readings"),
          record("2", "pending", "p0000-readings"),
          record("3", "quarantined", null, "REPLAY"),
        ],
        [batch],
      );
      j.updateBatch("p0000-readings", "signed", { header: "{}", signature: "0xsig" });
      j.updateBatch("p0000-readings", "submitted", { txHash: "0xtx", nonce: 4 });
      j.close();
      j = new Journal(path);
      expect(j.batches()[0]).to.include({ state: "submitted", txHash: "0xtx", nonce: 4, signature: "0xsig" });
      expect(j.counts()).to.deep.include({ total: 3, pending: 2, quarantined: 1, anchored: 0 });
      j.updateBatch("p0000-readings", "confirmed", { batchId: 1, blockNumber: 9 });
      j.completePeriod(0);
      expect(j.counts()).to.deep.include({ total: 3, anchored: 2, quarantined: 1, pending: 0, reasons: { REPLAY: 1 } });
      expect(j.findRecord(`0x${"2".padStart(64, "0")}`)?.recordId).to.equal("2");

      j.updateBatch("p0000-readings", "built", {}, "lost by the node");
      j.reopenPeriod(0);
      expect(j.period(0)?.state).to.equal("validated");
      expect(j.counts()).to.deep.include({ anchored: 0, pending: 2 });
      j.close();
    });

    it("keeps its record counts up to date through its own writes, without counting every record again", async function () {
      const path = join(mkdtempSync(join(tmpdir(), "journal-")), "journal.sqlite");
      const j = new Journal(path);
      const reader = new Journal(path, { readOnly: true });
      // The reader counts from the records each time: the truth the writer's tally must match after every step.
      const same = () => void expect(j.counts()).to.deep.equal(reader.counts());
      same();
      const head = (period: number) => ({
        period,
        state: "validated" as const,
        generatorBus: 5,
        routing: "{}",
        tBuildMs: 1,
      });
      j.recordPeriod(
        head(0),
        [
          record("1", "pending", "p0000-readings"),
          record("2", "pending", "p0000-readings"),
          record("3", "quarantined", null, "REPLAY"),
        ],
        [batch],
      );
      same();
      await j.recordPeriodInSlices(
        head(1),
        [
          { ...record("4", "quarantined", null, "STUCK"), period: 1 },
          { ...record("5", "quarantined", null, "STUCK"), period: 1 },
          { ...record("6", "pending", null), period: 1 },
        ],
        [],
        { sliceRecords: 2, pause: async () => same() },
      );
      same();
      expect(j.counts().reasons).to.deep.equal({ STUCK: 2, REPLAY: 1 });
      j.updateBatch("p0000-readings", "confirmed", { batchId: 1, blockNumber: 9 });
      await j.completePeriodInSlices(0, { sliceRecords: 1, pause: async () => same() });
      same();
      expect(j.counts()).to.deep.include({ total: 6, anchored: 2, pending: 1, quarantined: 3 });
      j.updateBatch("p0000-readings", "built", {}, "lost by the node");
      j.reopenPeriod(0);
      same();
      // A record written past this writer (no gateway does): its tally does not see it, so it did not scan again.
      const other = new Database(path);
      other
        .prepare(
          "INSERT INTO records (record_id, period, terminal_id, label, kind, timestamp, leaf_hash, status, payload) VALUES ('x', 0, '0x', 't', 1, 0, '0x', 'pending', '{}')",
        )
        .run();
      other.close();
      expect(j.counts().total).to.equal(6);
      expect(reader.counts().total).to.equal(7);
      reader.close();
      j.close();
    });

    it("marks a period anchored through the pending-records index, not a scan of every record", function () {
      const path = join(mkdtempSync(join(tmpdir(), "journal-")), "journal.sqlite");
      new Journal(path).close();
      const db = new Database(path, { readonly: true });
      const plan = (sql: string) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join("; ");
      expect(
        plan(
          `UPDATE records SET status = 'anchored' WHERE period = 1 AND status = 'pending' AND batch_key IN (SELECT batch_key FROM batches WHERE state = 'confirmed')`,
        ),
      ).to.match(/USING INDEX records_pending/);
      expect(plan("SELECT COUNT(*) AS n FROM records WHERE status = 'pending'")).to.match(/records_pending/);
      db.close();
    });

    it("moves an older journal's package links into the records' rows when it is opened", function () {
      const path = join(mkdtempSync(join(tmpdir(), "journal-")), "journal.sqlite");
      const head = { period: 0, state: "validated" as const, generatorBus: 5, routing: "{}", tBuildMs: 1 };
      let j = new Journal(path);
      j.recordPeriod(
        head,
        [record("1", "pending", "b1"), record("2", "pending", "b1"), record("3", "pending", "b1")],
        [],
      );
      j.close();
      // The previous version: signed packages keyed by signature alone, and a link table by record id.
      const [sigA, sigB] = [`0x${"aa".repeat(65)}`, `0x${"bb".repeat(65)}`];
      let db = new Database(path);
      db.exec(`
        ALTER TABLE records DROP COLUMN package_id; ALTER TABLE records DROP COLUMN package_index;
        DROP TABLE signed_packages;
        CREATE TABLE signed_packages (
          signature TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, period_start INTEGER NOT NULL,
          record_count INTEGER NOT NULL, records_root TEXT NOT NULL, leaf_hashes BLOB NOT NULL);
        CREATE TABLE record_packages (
          record_id TEXT PRIMARY KEY, signature TEXT NOT NULL, package_index INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO signed_packages VALUES ('${sigB}', '0x01', 0, 1, '0x', x'00'), ('${sigA}', '0x01', 0, 2, '0x', x'00');
        INSERT INTO record_packages VALUES ('1', '${sigA}', 1), ('2', '${sigA}', 0), ('3', '${sigB}', 0);`);
      db.close();
      j = new Journal(path);
      const placed = j.packagesOfBatch("b1");
      expect([...placed.entries()].map(([id, p]) => [id, p.pkg.signature, p.pkg.recordCount, p.index])).to.deep.equal([
        ["1", sigA, 2, 1],
        ["2", sigA, 2, 0],
        ["3", sigB, 1, 0],
      ]);
      expect(j.packageOfRecord("3")?.pkg.signature).to.equal(sigB);
      j.close();
      db = new Database(path, { readonly: true });
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
      expect(tables).to.include("signed_packages").and.not.include.members(["record_packages"]);
      db.close();
      // Opened again, nothing is left to migrate.
      new Journal(path).close();
    });

    it("finds records by leaf hash through record_leaves, filled from an older journal's leaf index on open", function () {
      const path = join(mkdtempSync(join(tmpdir(), "journal-")), "journal.sqlite");
      // Two leaves sharing their first 48 bits: only the whole hash tells them apart.
      const twin = (id: string, last: string) => ({
        ...record(id, "pending", null),
        leafHash: `0x${"ab".repeat(31)}${last}`,
      });
      let j = new Journal(path);
      j.recordPeriod(
        { period: 0, state: "validated", generatorBus: 5, routing: "{}", tBuildMs: 1 },
        [twin("kept", "01"), { ...twin("refused", "02"), status: "quarantined", reason: "STALE_TIMESTAMP" }],
        [],
      );
      j.close();
      // A journal of the previous version: its leaves in an index of the records, keyed by period first.
      let db = new Database(path);
      db.exec(
        "DELETE FROM record_leaves; CREATE INDEX records_by_period_leaf ON records (period, substr(leaf_hash, 1, 14))",
      );
      db.close();
      j = new Journal(path);
      j.recordPeriod(
        { period: 3, state: "validated", generatorBus: 5, routing: "{}", tBuildMs: 1 },
        [{ ...twin("later", "04"), period: 3 }],
        [],
      );
      expect(j.hasAcceptedLeaf(`0x${"ab".repeat(31)}01`, 0)).to.equal(true);
      // Accepted, but in another period than the one asked for (an accepted record's timestamp fixes its period).
      expect(j.hasAcceptedLeaf(`0x${"ab".repeat(31)}01`, 3)).to.equal(false);
      expect(j.hasAcceptedLeaf(`0x${"ab".repeat(31)}02`, 0)).to.equal(false);
      expect(j.hasAcceptedLeaf(`0x${"ab".repeat(31)}03`, 0)).to.equal(false);
      expect(j.hasAcceptedLeaf(`0x${"ab".repeat(31)}04`, 3)).to.equal(true);
      expect(j.findRecord(`0x${"AB".repeat(31)}02`)?.recordId).to.equal("refused");
      expect(j.findRecord(`0x${"ab".repeat(31)}04`)?.recordId).to.equal("later");
      expect(j.findRecord(`0x${"ab".repeat(31)}05`)).to.equal(undefined);
      expect(j.findRecord("kept")?.leafHash).to.equal(`0x${"ab".repeat(31)}01`);
      j.close();
      db = new Database(path, { readonly: true });
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all() as string[];
      expect(indexes).to.not.include.members(["records_by_period_leaf", "records_by_leaf_prefix", "records_by_leaf"]);
      const leaves = db.prepare("SELECT period, leaf_prefix, record_id FROM record_leaves").raw().all();
      expect(leaves).to.deep.equal([
        [0, `0x${"ab".repeat(6)}`, "kept"],
        [0, `0x${"ab".repeat(6)}`, "refused"],
        [3, `0x${"ab".repeat(6)}`, "later"],
      ]);
      const plan = (sql: string, params: object) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail).join("; ");
      const byLeaf = `record_leaves l JOIN records r ON r.record_id = l.record_id
        WHERE l.leaf_prefix = substr(@leaf, 1, 14) AND r.leaf_hash = @leaf`;
      expect(plan(`SELECT 1 FROM ${byLeaf} AND l.period = @period`, { leaf: "0x", period: 0 })).to.match(
        /SEARCH l USING PRIMARY KEY \(period=\? AND leaf_prefix=\?\)/,
      );
      expect(plan(`SELECT r.* FROM ${byLeaf} AND l.period IN (SELECT period FROM periods)`, { leaf: "0x" })).to.match(
        /SEARCH l USING PRIMARY KEY \(period=\? AND leaf_prefix=\?\)/,
      );
      db.close();
    });
  });

  describe("node calls", function () {
    const fast = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2, log: () => undefined };

    it("retries a failing call with back-off and returns its value once the node answers", async function () {
      let calls = 0;
      const value = await callWithRetry(
        "read",
        async () => {
          if (++calls < 3) throw new Error("ECONNREFUSED");
          return 42;
        },
        fast,
      );
      expect([value, calls]).to.deep.equal([42, 3]);
    });

    it("gives up with NodeUnavailableError naming the call and the last error", async function () {
      // Caught by hand, not with chai-as-promised: `npm run test:unit` runs plain mocha without it.
      const error: unknown = await callWithRetry(
        "set the block time",
        () => Promise.reject(new Error("HH108: Cannot connect")),
        fast,
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(NodeUnavailableError);
      expect((error as Error).message)
        .to.match(/set the block time: the node did not answer after 3 attempts/)
        .and.contain("HH108: Cannot connect");
    });
  });

  describe("options", function () {
    it("fills defaults and names a bad option", function () {
      expect(resolveRunOptions({}).case).to.equal("ieee39");
      expect(() => resolveRunOptions({ days: 0 })).to.throw(/--days/);
      expect(() => resolveRunOptions({ dataDay: "16/07/2013" })).to.throw(/--dataDay: expected YYYY-MM-DD/);
    });

    it("takes --zones as a count or auto, and refuses zero batches a transaction", function () {
      expect(resolveRunOptions({ zones: "auto" }).zones).to.equal("auto");
      expect(() => resolveRunOptions({ zones: 0 })).to.throw(/--zones/);
      const send = { ...resolveRunOptions({}).send, batchesPerTransaction: 0 };
      expect(() => resolveRunOptions({ send })).to.throw(/--batches-per-tx: a whole number of batches >= 1, got 0/);
    });
  });
});
