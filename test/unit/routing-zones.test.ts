import { expect } from "chai";
import { defaultSources } from "../../src/grid/sources";
import { loadNetwork } from "../../src/routing/api";
import { bfsPartition, minimumZones, routeZones } from "../../src/routing/zones";

describe("routing zones", function () {
  this.timeout(120_000);

  describe("routeZones", function () {
    context("on IEEE 118 with a 350 ms deadline", function () {
      const net = loadNetwork({ case: "118" });
      const sources = defaultSources(net.caseName, net.grid);
      const tight = { deadlineS: 0.35 };

      it("auto picks the smallest k tried that meets every deadline, and every smaller k tried fails", function () {
        const one = routeZones(net, sources, 1, tight);
        expect(one.deadlineViolations).to.be.greaterThan(0);
        const auto = routeZones(net, sources, "auto", tight);
        expect(auto.deadlineViolations).to.equal(0);
        expect(auto.k).to.be.greaterThan(1);
        for (const t of auto.tried) expect(t.deadlineViolations === 0, `k = ${t.k}`).to.equal(t.k >= auto.k);
        expect(auto.zones.reduce((a, z) => a + z.sources, 0)).to.equal(sources.length);
        for (const z of auto.zones) expect(z.blockTimeMs).to.be.at.most(auto.maxBlockTimeMs);
      });

      it("gives every bus exactly one zone and routes every zone completely", function () {
        const r = routeZones(net, sources, 4, tight);
        expect(r.k).to.equal(4);
        expect(r.zones.reduce((a, z) => a + z.buses, 0)).to.equal(net.n);
        expect(r.complete).to.equal(true);
      });
    });

    it("meets every deadline at the defaults on case2383wp with auto, where the BFS baseline with the same k does not", function () {
      const net = loadNetwork({ case: "2383wp" });
      const sources = defaultSources(net.caseName, net.grid);
      const auto = routeZones(net, sources, "auto");
      expect(auto.deadlineViolations).to.equal(0);
      expect(auto.k).to.be.at.least(minimumZones(net, sources, {}));
      const baseline = routeZones(net, sources, auto.k, {}, "bfs");
      expect(baseline.deadlineViolations).to.be.greaterThan(0);
    });

    it("rejects a k that is not a positive integer, naming it", function () {
      const net = loadNetwork({ case: "14" });
      expect(() => routeZones(net, defaultSources(net.caseName, net.grid), 0)).to.throw(
        /zones: k must be an integer >= 1/,
      );
    });
  });

  describe("bfsPartition", function () {
    it("cuts the breadth-first order into k chunks of equal size", function () {
      const net = loadNetwork({ case: "14" });
      const cell = bfsPartition(net, 3);
      const sizes = [0, 0, 0];
      for (const c of cell) sizes[c]++;
      expect(sizes).to.deep.equal([5, 5, 4]);
    });
  });
});
