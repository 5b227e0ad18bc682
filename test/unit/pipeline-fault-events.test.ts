import { expect } from "chai";
import { driftFactor, NO_FAULTS, planFaults } from "../../src/pipeline/faults";
import type { JournalRecord } from "../../src/pipeline/journal";
import { scoreFaultEvents } from "../../src/pipeline/summary";

const H = 3_600_000;
const T0 = Date.parse("2013-07-01T00:00:00Z");

function reading(terminalId: string, t: number, fault: string | null, reason: string | null): JournalRecord {
  return {
    recordId: `${terminalId}/${t}`,
    period: 0,
    terminalId,
    label: terminalId,
    kind: 1,
    timestamp: t / 1000,
    leafHash: "0x",
    status: reason ? "quarantined" : "anchored",
    reason,
    detail: null,
    batchKey: null,
    payload: JSON.stringify({ dataTime: new Date(t).toISOString() }),
    actualNorm: null,
    forecastNorm: null,
    fault,
  };
}

describe("pipeline: drift faults and fault events (issue 14)", function () {
  describe("planFaults", function () {
    it("plans drifts on meters from their own stream, leaving the other faults of a seed where they were", function () {
      const withDrift = planFaults(7, 192, [1, 2, 3], [4, 5]);
      const without = planFaults(7, 192, [1, 2, 3], [4, 5], { driftPerDay: 0 });
      expect(withDrift.drift).to.have.length(2);
      expect(without.drift).to.have.length(0);
      expect(withDrift.stuck).to.deep.equal(without.stuck);
      expect(withDrift.replay).to.deep.equal(without.replay);
      for (const d of withDrift.drift) {
        expect([4, 5]).to.include(d.terminal);
        expect(d.toPeriod - d.fromPeriod).to.equal(48);
        expect(Math.abs(d.magnitude)).to.be.within(0.2, 0.5);
      }
      expect(planFaults(7, 192, [1], [4], NO_FAULTS).drift).to.deep.equal([]);
    });

    it("ramps a drift's factor linearly from 1 to 1 + magnitude", function () {
      const plan = planFaults(3, 96, [1], [4]);
      const d = plan.drift[0];
      expect(driftFactor(plan, d.terminal, d.fromPeriod, 0)).to.equal(1);
      expect(driftFactor(plan, d.terminal, d.fromPeriod + 24, 0)).to.be.closeTo(1 + d.magnitude / 2, 1e-12);
      expect(driftFactor(plan, d.terminal, d.toPeriod, 0)).to.equal(1);
      expect(driftFactor(plan, 99, d.fromPeriod + 1, 0)).to.equal(1);
    });
  });

  describe("scoreFaultEvents", function () {
    it("scores runs and single faulty readings as events, with and without the peer check", function () {
      const q = 15 * 60_000;
      const records = [
        // A drift on A: first flagged by the peer check after 1 h, by the CUSUM after 4 h.
        ...Array.from({ length: 24 }, (_, i) =>
          reading("A", T0 + i * q, "drift", i >= 16 ? "CUSUM_DRIFT" : i >= 4 ? "PEER_DEVIATION" : null),
        ),
        // Two spikes on B, one caught.
        reading("B", T0, "spike", "RESIDUAL_OVER_K_SIGMA"),
        reading("B", T0 + 5 * H, "spike", null),
        // A stuck run on C, caught on its second reading; a clean reading that is not an event.
        reading("C", T0, "stuck", null),
        reading("C", T0 + q, "stuck", "STUCK"),
        reading("C", T0 + 2 * q, null, null),
      ];
      // The shadow validator (no peer check) flags the drift from the CUSUM on only; the door-free readings
      // it did not see (none here) would count as the run did.
      const shadow = new Map(
        records
          .filter((r) => r.terminalId === "A")
          .map((r) => [r.recordId, { ok: r.reason !== "CUSUM_DRIFT" }] as const),
      );
      const e = scoreFaultEvents(records, shadow);
      expect(e.drift?.withPeer).to.deep.include({ events: 1, inBudget: 1, recall: 1 });
      expect(e.drift?.withPeer.delayHours.median).to.equal(1);
      expect(e.drift?.withoutPeer).to.deep.include({ events: 1, inBudget: 0, recall: 0 });
      expect(e.drift?.withoutPeer.delayHours.median).to.equal(4);
      expect(e.spike?.withPeer).to.deep.include({ events: 2, inBudget: 1, recall: 0.5 });
      expect(e.stuck?.withPeer).to.deep.include({ events: 1, inBudget: 1 });
      expect(e.unit).to.equal(undefined);
    });
  });
});
