import { expect } from "chai";
import { initMerkle, type RecordLeaf } from "../../src/merkle";
import type { JournalBatch, JournalRecord } from "../../src/pipeline/journal";
import { SEND_DEFAULTS } from "../../src/pipeline/options";
import { transactionGroups } from "../../src/pipeline/stages/anchor";
import { batchLeaves, preparePeriod, type Election } from "../../src/pipeline/stages/batch";
import type { CheckedRecord } from "../../src/pipeline/stages/check";
import { electByRouting } from "../../src/pipeline/stages/elect";
import { zonesSection } from "../../src/report/runReport";
import { journaledZonePlan, planZones, zoneOfTerminal } from "../../src/pipeline/stages/zones";
import { summariseZones } from "../../src/pipeline/zoneSummary";
import type { PeriodRouting } from "../../src/pipeline/summaryTypes";
import { scenarioModel } from "../helpers/gridCases";

/** An in-memory journal metadata store. */
function metaStore() {
  const meta = new Map<string, string>();
  return {
    getMeta: <T>(key: string) => (meta.has(key) ? (JSON.parse(meta.get(key)!) as T) : undefined),
    setMeta: (key: string, value: unknown) => void meta.set(key, JSON.stringify(value)),
  };
}

/**
 * A checked record with what batching reads: its row's terminal and kind, its leaf hash, its verdict, and the
 * one-record package it came in.
 */
function checked(terminalId: string, kind: number, i: number, accepted = true): CheckedRecord {
  const leafHash = new Uint8Array(32).fill(i + 1);
  const pkg = { terminalId, periodStart: 0, records: [{}], leafHashes: leafHash, signature: `0x${i + 1}` };
  return {
    row: { recordId: `r${i}`, terminalId, kind, status: "pending", batchKey: null } as JournalRecord,
    leaf: {} as RecordLeaf,
    leafHash,
    accepted,
    source: { pkg, index: 0 },
  } as CheckedRecord;
}

describe("pipeline zones", function () {
  this.timeout(120_000);
  before(async function () {
    await initMerkle();
  });

  describe("planZones", function () {
    it("cuts the case into k zones covering every bus, with the case's bus ids", function () {
      const m = scenarioModel("ieee39");
      const plan = planZones(m, 3);
      expect(plan.k).to.equal(3);
      expect(plan.buses).to.deep.equal(m.loaded.grid.buses.map((b) => b.id));
      expect(new Set(plan.busZone)).to.deep.equal(new Set([0, 1, 2]));
    });

    it("with auto, picks the fewest zones meeting every deadline at peak load", function () {
      const plan = planZones(scenarioModel("ieee118"), "auto");
      expect(plan.requested).to.equal("auto");
      for (const t of plan.tried) expect(t.deadlineViolations === 0, `k = ${t.k}`).to.equal(t.k >= plan.k);
      expect(plan.tried.map((t) => t.k)).to.include(plan.k);
    });
  });

  describe("journaledZonePlan", function () {
    it("stores the plan on first use and returns the stored one after", function () {
      const store = metaStore();
      const m = scenarioModel("ieee14");
      const first = journaledZonePlan(store, m, 2);
      expect(store.getMeta("zones")).to.deep.equal(first);
      store.setMeta("zones", { ...first, tried: [{ k: 2, deadlineViolations: 7 }] });
      expect(journaledZonePlan(store, m, 2).tried).to.deep.equal([{ k: 2, deadlineViolations: 7 }]);
    });

    it("refuses a journal started with other zones, naming both", function () {
      const store = metaStore();
      const m = scenarioModel("ieee14");
      journaledZonePlan(store, m, 2);
      expect(() => journaledZonePlan(store, m, "auto")).to.throw(/started with --zones 2, now --zones auto/);
    });

    it("refuses a plan made for another case's buses", function () {
      const store = metaStore();
      journaledZonePlan(store, scenarioModel("ieee14"), 2);
      expect(() => journaledZonePlan(store, scenarioModel("ieee30"), 2)).to.throw(/other buses than case ieee30/);
    });
  });

  describe("electByRouting with zones", function () {
    it("elects one generator inside each zone and records the zones' routing", function () {
      const m = scenarioModel("ieee39");
      m.zones = planZones(m, 3);
      const election = electByRouting(m, 0, 1, 5);
      expect(election.zones!.map((z) => z.zone)).to.deep.equal([0, 1, 2]);
      const zoneOfBus = new Map(m.zones.buses.map((bus, i) => [bus, m.zones!.busZone[i]]));
      for (const z of election.zones!) {
        expect(zoneOfBus.get(z.generatorBus)).to.equal(z.zone);
        expect(m.terminals.find((t) => t.terminalId === z.terminalId)!.bus).to.equal(z.generatorBus);
      }
      const routing = JSON.parse(election.routing) as Pick<PeriodRouting, "zones">;
      expect(routing.zones!.k).to.equal(3);
      expect(routing.zones!.zones.reduce((a, z) => a + z.sources, 0)).to.equal(
        m.terminals.filter((t) => t.source).length,
      );
    });
  });

  describe("zoneOfTerminal", function () {
    it("maps each terminal to its bus's zone and an unknown terminal to zone 0", function () {
      const m = scenarioModel("ieee39");
      const plan = planZones(m, 3);
      const zoneOf = zoneOfTerminal(m, plan);
      for (const t of m.terminals)
        expect(zoneOf(t.terminalId.toUpperCase())).to.equal(plan.busZone[plan.buses.indexOf(t.bus)]);
      expect(zoneOf("0xunknown")).to.equal(0);
    });
  });

  describe("batchLeaves and preparePeriod", function () {
    const zoneOf = (terminalId: string) => (terminalId === "a" ? 1 : 0);
    const records = [checked("a", 1, 0), checked("b", 1, 1), checked("a", 2, 2), checked("b", 1, 3, false)];

    it("splits a period's accepted records per zone and batch type, zones in order", function () {
      const leaves = batchLeaves(records, zoneOf);
      expect(leaves.map((b) => [b.zone, b.type.suffix, b.members])).to.deep.equal([
        [0, "readings", [1]],
        [1, "readings", [0]],
        [1, "transactions", [2]],
      ]);
    });

    it("keeps one batch per type without zones", function () {
      expect(batchLeaves(records).map((b) => [b.zone, b.members])).to.deep.equal([
        [null, [0, 1]],
        [null, [2]],
      ]);
    });

    it("gives each zone's batches to the zone's generator under a zoned batch key", function () {
      const leaves = batchLeaves(records, zoneOf);
      const election: Election = {
        generatorBus: 5,
        terminalId: "g0",
        zones: [
          { zone: 0, generatorBus: 5, terminalId: "g0" },
          { zone: 1, generatorBus: 9, terminalId: "g1" },
        ],
        routing: "{}",
      };
      const ctx = { chain: { dataTypes: { readings: 1, transactions: 2 } } } as Parameters<typeof preparePeriod>[0];
      const roots = leaves.map((_, i) => `0x${String(i).repeat(64)}`);
      const { batches, rows } = preparePeriod(ctx, 7, records, { leaves, roots, tBuildMs: 1 }, election);
      expect(batches.map((b) => [b.batchKey, b.terminalId, b.generatorBus])).to.deep.equal([
        ["p0007-z000-readings", "g0", 5],
        ["p0007-z001-readings", "g1", 9],
        ["p0007-z001-transactions", "g1", 9],
      ]);
      expect(rows.map((r) => r.batchKey)).to.deep.equal([
        "p0007-z001-readings",
        "p0007-z000-readings",
        "p0007-z001-transactions",
        null,
      ]);
    });

    it("rejects an election that names no generator for a zone with records", function () {
      const leaves = batchLeaves(records, zoneOf);
      const election: Election = { generatorBus: 5, terminalId: "g0", zones: [], routing: "{}" };
      const ctx = { chain: { dataTypes: { readings: 1, transactions: 2 } } } as Parameters<typeof preparePeriod>[0];
      expect(() =>
        preparePeriod(ctx, 7, records, { leaves, roots: ["0x", "0x", "0x"], tBuildMs: 1 }, election),
      ).to.throw(/period 7: the election names no generator for zone 0/);
    });
  });

  describe("transactionGroups", function () {
    it("caps each transaction's batches and keeps a stream's batches in one transaction", function () {
      const batches = Array.from({ length: 7 }, (_, i) => ({ terminalId: `t${Math.floor(i / 2)}`, i }));
      const groups = transactionGroups(batches, 3);
      expect(groups.map((g) => g.map((b) => b.i))).to.deep.equal([
        [0, 1],
        [2, 3],
        [4, 5, 6],
      ]);
      expect(transactionGroups(batches, SEND_DEFAULTS.batchesPerTransaction)).to.have.length(1);
    });
  });

  describe("summariseZones", function () {
    it("adds up each zone's periods, batches and anchored records", function () {
      const plan = { requested: 2 as const, k: 2, tried: [], buses: [1, 2, 3], busZone: [0, 0, 1] };
      const zone = (z: number, generator: number, ms: number, violations: number) => ({
        zone: z,
        generator,
        sources: 1,
        blockTimeMs: ms,
        lbNet: 10 * (z + 1),
        deadlineViolations: violations,
      });
      const period = (p: number, ms: number): PeriodRouting => ({
        period: p,
        generatorBus: 1,
        tBuildMs: 1,
        algorithms: {},
        zones: {
          k: 2,
          deadlineViolations: 1,
          maxBlockTimeMs: ms,
          lbNet: 5,
          zones: [zone(0, p ? 2 : 1, ms, 0), zone(1, 3, 100, 1)],
        },
      });
      const batch = (batchKey: string, generatorBus: number) => ({ batchKey, generatorBus }) as JournalBatch;
      const record = (batchKey: string | null, status: string) => ({ batchKey, status }) as JournalRecord;
      const s = summariseZones(
        plan,
        [period(0, 200), period(1, 400)],
        [batch("p0000-z000-readings", 1), batch("p0000-z001-readings", 3), batch("p0001-z000-readings", 2)],
        [
          record("p0000-z000-readings", "anchored"),
          record("p0001-z000-readings", "anchored"),
          record("p0000-z001-readings", "anchored"),
          record(null, "quarantined"),
        ],
      );
      expect(s.deadlineViolations).to.equal(2);
      expect(s.maxBlockTimeMs).to.equal(300);
      expect(s.perZone[0]).to.deep.include({ buses: 2, batches: 2, records: 2, blockTimeMs: 300, lbNet: 10 });
      expect(s.perZone[0].generators).to.deep.equal([1, 2]);
      expect(s.perZone[1]).to.deep.include({ buses: 1, batches: 1, records: 1, deadlineViolations: 2 });
      // The report's per-zone table ends with the total over the zones.
      const html = zonesSection(s);
      const lastRow = html.slice(html.lastIndexOf("<tr>"));
      expect([...lastRow.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1])).to.deep.equal([
        "all 2",
        "3",
        "2",
        "3 buses",
        "3",
        "3",
        "300.0 (slowest zone)",
        "5.00 (whole network)",
        "2",
      ]);
    });
  });
});
