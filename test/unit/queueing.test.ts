import { expect } from "chai";
import { mm1k } from "../../src/queueing/mm1k";
import { simulateMm1k } from "../../src/queueing/simulate";
import { queueSweep, sweepCsv } from "../../src/queueing/sweep";

/** Packets per simulation, as ALGORITHMS.md section 3 asks. */
const PACKETS = 1_000_000;
const SEED = 1;

/**
 * Agreement band: 2% of the closed form, widened to 4 batch-means standard errors where 10^6 packets
 * cannot resolve 2% (rare losses, and rho = 1 with K = 50, whose queue mixes slowly), and never
 * tighter than 3 packets in 10^6 for P_loss (the rule-of-three bound when losses are ~0).
 */
function band(exact: number, stdErr: number, floor: number): number {
  return Math.max(0.02 * exact, 4 * stdErr, floor);
}

describe("queueing", function () {
  describe("mm1k", function () {
    it("matches the hand values at K = 1, rho = 0.5", function () {
      const q = mm1k(0.5, 1, 1);
      expect(q.p0).to.be.closeTo(2 / 3, 1e-12);
      expect(q.pLoss).to.be.closeTo(1 / 3, 1e-12);
      expect(q.L).to.be.closeTo(1 / 3, 1e-12);
      expect(q.lambdaEff).to.be.closeTo(1 / 3, 1e-12);
      // One buffer slot: an accepted packet never waits, so its sojourn is one service time.
      expect(q.tDelay).to.be.closeTo(1, 1e-12);
    });

    it("matches the hand values at K = 2, rho = 2", function () {
      // P_n proportional to 1, 2, 4: P0 = 1/7, P_loss = 4/7, L = (2 + 8)/7.
      const q = mm1k(4, 2, 2);
      expect(q.p0).to.be.closeTo(1 / 7, 1e-12);
      expect(q.pLoss).to.be.closeTo(4 / 7, 1e-12);
      expect(q.L).to.be.closeTo(10 / 7, 1e-12);
      expect(q.tDelay).to.be.closeTo(10 / 7 / (4 * (3 / 7)), 1e-12);
    });

    it("uses the rho = 1 limits and is continuous around them", function () {
      const q = mm1k(3, 3, 10);
      expect(q.p0).to.equal(1 / 11);
      expect(q.pLoss).to.equal(1 / 11);
      expect(q.L).to.equal(5);
      for (const eps of [1e-6, -1e-6]) {
        const near = mm1k(3 * (1 + eps), 3, 10);
        expect(near.pLoss).to.be.closeTo(q.pLoss, 1e-5);
        expect(near.L).to.be.closeTo(q.L, 1e-4);
      }
    });

    it("stays finite for a huge buffer above saturation", function () {
      const q = mm1k(1.5, 1, 5000);
      expect(q.pLoss).to.be.closeTo(1 / 3, 1e-12);
      expect(Number.isFinite(q.L)).to.equal(true);
      expect(q.L).to.be.closeTo(5000 - 2, 1e-6); // K - rho/(rho-1) for rho > 1, K large
    });

    it("gives the bare service time when nothing arrives", function () {
      const q = mm1k(0, 4, 8);
      expect(q.pLoss).to.equal(0);
      expect(q.tDelay).to.equal(0.25);
    });

    it("rejects a negative arrival rate, a zero service rate and a fractional buffer", function () {
      expect(() => mm1k(-1, 1, 5)).to.throw(RangeError, /lambda/);
      expect(() => mm1k(1, 0, 5)).to.throw(RangeError, /mu/);
      expect(() => mm1k(1, 1, 2.5)).to.throw(RangeError, /K/);
    });
  });

  describe("simulateMm1k against the closed forms at 10^6 packets", function () {
    this.timeout(120_000);
    for (const rho of [0.3, 0.8, 1.0, 1.5]) {
      for (const K of [1, 5, 50]) {
        it(`agrees on P_loss and T_delay at rho = ${rho}, K = ${K}`, function () {
          const exact = mm1k(rho * 100, 100, K);
          const sim = simulateMm1k({ lambda: rho * 100, mu: 100, K, packets: PACKETS, seed: SEED });
          expect(sim.arrivals).to.equal(PACKETS);
          expect(Math.abs(sim.pLoss - exact.pLoss)).to.be.at.most(band(exact.pLoss, sim.pLossStdErr, 3 / PACKETS));
          expect(Math.abs(sim.tDelay - exact.tDelay)).to.be.at.most(band(exact.tDelay, sim.tDelayStdErr, 0));
          expect(Math.abs(sim.L - exact.L)).to.be.at.most(band(exact.L, 4 * sim.tDelayStdErr * exact.lambdaEff, 0));
        });
      }
    }

    it("is reproducible from its seed and changes with it", function () {
      const a = simulateMm1k({ lambda: 0.9, mu: 1, K: 5, packets: 10_000, seed: 42 });
      const b = simulateMm1k({ lambda: 0.9, mu: 1, K: 5, packets: 10_000, seed: 42 });
      const c = simulateMm1k({ lambda: 0.9, mu: 1, K: 5, packets: 10_000, seed: 43 });
      expect(a).to.deep.equal(b);
      expect(c.tDelay).to.not.equal(a.tDelay);
    });
  });

  describe("queueSweep", function () {
    it("writes one closed-form row per (K, rho) and a CSV with a header", function () {
      const rows = queueSweep({ mu: 2, rhos: [0.5, 1], Ks: [1, 5], simulate: null });
      expect(rows).to.have.length(4);
      expect(rows[1]).to.include({ kind: "closed form", rho: 1, K: 1, pLoss: 0.5 });
      expect(rows[1].tDelayService).to.be.closeTo(rows[1].tDelay * 2, 1e-12);
      const csv = sweepCsv(rows).trim().split("\n");
      expect(csv[0]).to.equal("kind,rho,K,p_loss,t_delay_s,t_delay_service_times,L");
      expect(csv).to.have.length(5);
    });
  });
});
