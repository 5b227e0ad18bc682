import { expect } from "chai";
import { defaultSources } from "../../src/grid/sources";
import { GridNetwork } from "../../src/grid/network";
import { loadNetwork, routeWithBounds } from "../../src/routing/api";
import { computeBounds } from "../../src/routing/bounds";
import { RoutingContext } from "../../src/routing/context";
import { buildDemands } from "../../src/routing/demands";
import { cheapestAdmissiblePath, demandRegion, hopLowerBounds } from "../../src/routing/layered";
import { resolveRoutingOptions } from "../../src/routing/options";
import { hopsFrom } from "../../src/routing/search";

function contextFor(net: GridNetwork, overrides = {}): RoutingContext {
  const opts = resolveRoutingOptions(overrides);
  return new RoutingContext(net, opts, buildDemands(net, defaultSources(net.caseName, net.grid), opts));
}

describe("routing bounds", function () {
  this.timeout(60_000);

  describe("computeBounds", function () {
    context("on IEEE 14 and 39 at the defaults", function () {
      for (const c of ["14", "39"]) {
        it(`stays below every violation-free algorithm's LB_net and max utilisation on ${c}`, async function () {
          const net = loadNetwork({ case: c });
          const report = await routeWithBounds(net, defaultSources(net.caseName, net.grid), {}, [
            "QT-DR",
            "QT-DR+LS",
            "QoS-R",
            "RA-DBMM",
            "SP",
          ]);
          const b = report.bounds!;
          expect(b.lbNet).to.be.greaterThan(0);
          for (const a of Object.values(report.algorithms)) {
            if (a!.deadlineViolations > 0 || a!.hopViolations > 0) continue;
            expect(b.lbNet, a!.algorithm).to.be.at.most(a!.lbNet + 1e-9);
            expect(b.maxUtil, a!.algorithm).to.be.at.most(a!.maxUtil + 1e-9);
            expect(b.gapToBound[a!.algorithm as "QT-DR"]).to.equal(a!.lbNet / b.lbNet - 1);
          }
        });
      }
    });

    it("reproduces the independent split-flow bound of 32.48 Mbit/s on IEEE 39 with a certified gap under 0.1%", async function () {
      const b = await computeBounds(contextFor(loadNetwork({ case: "39" })));
      expect(b.lbNet).to.be.closeTo(32.48, 0.01);
      expect(b.gap).to.be.at.most(1e-3);
      expect(b.lbNetSplit).to.be.at.least(b.lbNet);
    });

    it("rejects a period no generator can serve within the deadlines, saying so", async function () {
      const net = loadNetwork({ case: "14" });
      // Plain try/catch: `npm run test:unit` runs without chai-as-promised.
      let error: unknown;
      try {
        await computeBounds(contextFor(net, { deadlineS: 0.001 }));
      } catch (e) {
        error = e;
      }
      expect(String(error)).to.match(/bounds on ieee14: no generator lets every demand meet its deadline/);
    });
  });

  describe("cheapestAdmissiblePath", function () {
    it("finds the cheapest simple path under negative link costs, within the hop bound", function () {
      const net = loadNetwork({ case: "14" });
      const ctx = contextFor(net, { hopBound: 5 });
      const g = 0;
      const d = ctx.demands.find((x) => x.node !== g)!;
      const region = demandRegion(net, ctx.opts, hopLowerBounds(net, ctx.opts, ctx.demands), g, hopsFrom(net, g), d)!;
      const cost = Float64Array.from({ length: net.m }, (_, l) => ((l * 7) % 5) - 3);
      const found = cheapestAdmissiblePath(net, region, g, cost, 1e7)!;
      // Oracle: every simple path of at most 5 hops by brute force (the deadline of 1 s does not bind here).
      let best = Infinity;
      const walk = (v: number, seen: number[], c: number): void => {
        if (v === g) {
          best = Math.min(best, c);
          return;
        }
        if (seen.length > 5) return;
        for (let k = net.adjStart[v]; k < net.adjStart[v + 1]; k++) {
          const w = net.adjNode[k];
          if (seen.includes(w)) continue;
          walk(w, [...seen, w], c + cost[net.adjLink[k]]);
        }
      };
      walk(d.node, [d.node], 0);
      expect(found.cost).to.equal(best);
      expect(found.lowerBound).to.equal(best);
      expect(new Set(found.nodes).size).to.equal(found.nodes.length);
    });
  });
});
