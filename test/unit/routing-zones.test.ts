import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadCase } from "../../src/grid/case";
import { buildNetwork, subNetwork } from "../../src/grid/network";
import { defaultSources } from "../../src/grid/sources";
import { loadNetwork } from "../../src/routing/api";
import { bfsPartition, minimumZones, parseZoneCount, partition, routeZones } from "../../src/routing/zones";
import { runExperiment } from "../../src/routing/experiment";
import { runRoute, type ZonesTaskReport } from "../../tasks/route/route";
import { scratchDir } from "../helpers/scenario";

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

  describe("routeZones auto's zone cache", function () {
    it("reports the same zones as routing the chosen k afresh", function () {
      const net = loadNetwork({ case: "118" });
      const sources = defaultSources(net.caseName, net.grid);
      const tight = { deadlineS: 0.35 };
      const auto = routeZones(net, sources, "auto", tight);
      const fresh = routeZones(net, sources, auto.k, tight);
      const figures = (r: typeof auto) => r.zones.map((z) => [z.generator, z.sources, z.blockTimeMs, z.lbNet]);
      expect(figures(auto)).to.deep.equal(figures(fresh));
      expect(auto.lbNet).to.be.closeTo(fresh.lbNet, 1e-9);
    });
  });

  describe("subNetwork", function () {
    it("equals the network built from the zone's sub-case, with each link's parent index", function () {
      const net = loadNetwork({ case: "118" }, { background: { seed: 3, min: 0.1, max: 0.5 } });
      const cell = partition(net, defaultSources(net.caseName, net.grid), 4, "delay");
      const nodes = [...cell.keys()].filter((v) => cell[v] === 2);
      const inZone = new Set(nodes.map((v) => net.busIds[v]));
      const g = net.grid;
      const sub = {
        ...g,
        buses: g.buses.filter((b) => inZone.has(b.id)),
        generators: g.generators.filter((x) => inZone.has(x.bus)),
        branches: g.branches.filter((b) => inZone.has(b.from) && inZone.has(b.to)),
      };
      const built = buildNetwork("zone", sub, { ...net.options, background: null });
      const zn = subNetwork(net, "zone", nodes, sub);
      for (const key of [
        "busIds",
        "linkA",
        "linkB",
        "lengthKm",
        "fixedDelayS",
        "adjStart",
        "adjNode",
        "adjLink",
      ] as const)
        expect(Array.from(zn[key]), key).to.deep.equal(Array.from(built[key]));
      expect(zn.componentCount).to.equal(built.componentCount);
      for (let l = 0; l < zn.m; l++) {
        const p = zn.parentLink[l];
        expect([net.busIds[net.linkA[p]], net.busIds[net.linkB[p]]]).to.deep.equal([
          zn.busIds[zn.linkA[l]],
          zn.busIds[zn.linkB[l]],
        ]);
        expect(zn.backgroundBps[l]).to.equal(net.backgroundBps[p]);
      }
    });
  });

  describe("parseZoneCount", function () {
    it("takes auto or a positive integer and names the option otherwise", function () {
      expect(parseZoneCount(" Auto ")).to.equal("auto");
      expect(parseZoneCount("12")).to.equal(12);
      expect(() => parseZoneCount("1.5", "grid:run --zones")).to.throw(
        /grid:run --zones must be "auto" or an integer >= 1, got "1.5"/,
      );
    });
  });

  describe("grid:route --case-file with --zones", function () {
    it("zones a MATPOWER case from outside data/ (two IEEE 118 grids as islands) with zero violations", async function () {
      const one = JSON.parse(readFileSync(loadCase({ case: "118" }).path, "utf8")) as {
        buses: { id: number }[];
        generators: { bus: number }[];
        branches: { from: number; to: number }[];
      };
      const shift = <T extends object>(rows: T[], keys: (keyof T)[]) =>
        rows.map((r) => ({ ...r, ...Object.fromEntries(keys.map((k) => [k, (r[k] as number) + 1000])) }));
      const twin = {
        ...one,
        name: "twin118",
        source: "two copies of MATPOWER case118, the second with bus ids + 1000",
        buses: [...one.buses, ...shift(one.buses, ["id"])],
        generators: [...one.generators, ...shift(one.generators, ["bus"])],
        branches: [...one.branches, ...shift(one.branches, ["from", "to"])],
      };
      const dir = scratchDir("casefile");
      const caseFile = join(dir, "twin118.json");
      writeFileSync(caseFile, JSON.stringify(twin));
      const out = join(dir, "zones.json");
      const report = (await runRoute({
        caseFile,
        zones: "auto",
        out,
        algorithms: "QT-DR",
        seed: 1,
        bounds: false,
      })) as ZonesTaskReport;
      const z = report.zones;
      expect(report.case).to.equal("twin118");
      expect(z.deadlineViolations).to.equal(0);
      expect(z.unassigned).to.equal(0);
      expect(z.k).to.be.at.least(2);
      const routed = z.zones.filter((x) => x.generator !== null);
      expect(routed.some((x) => x.generator! > 1000) && routed.some((x) => x.generator! < 1000)).to.equal(true);
      expect(z.zones.reduce((a, x) => a + x.sources, 0)).to.equal(report.sources);
      expect(JSON.parse(readFileSync(out, "utf8")).zones.k).to.equal(z.k);
    });
  });

  describe("grid:experiment --zones", function () {
    it("writes each case's zones, their totals and the BFS baseline to results.json and report.md", async function () {
      const outDir = scratchDir("experiment-zones");
      const res = await runExperiment({
        cases: ["14", "30"],
        outDir,
        algorithms: ["QT-DR"],
        routing: {},
        network: {},
        zones: 2,
      });
      expect(res.zones!.map((z) => [z.case, z.zones.k, z.baseline.k, z.baseline.method])).to.deep.equal([
        ["ieee14", 2, 2, "bfs"],
        ["ieee30", 2, 2, "bfs"],
      ]);
      const saved = JSON.parse(readFileSync(join(outDir, "results.json"), "utf8")) as typeof res;
      expect(saved.zones![1].zones.zones).to.have.length(2);
      const md = readFileSync(join(outDir, "report.md"), "utf8");
      expect(md).to.contain("## Zones: several block generators");
      const z = res.zones![0].zones;
      expect(md).to.contain(
        `| ieee14 | 2 | 2 | ${z.deadlineViolations} | ${z.maxBlockTimeMs.toFixed(0)} | ${z.lbNet.toFixed(2)} |`,
      );
      expect(md).to.contain("### ieee30: 2 zones");
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
