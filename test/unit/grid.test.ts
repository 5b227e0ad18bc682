import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CaseError, loadCase, parseCase } from "../../src/grid/case";
import { bundledCasePath, normaliseCaseName } from "../../src/grid/caseNames";
import { terminalIdFor } from "../../src/grid/ids";
import { layoutNetwork } from "../../src/grid/layout";
import { buildNetwork } from "../../src/grid/network";
import { BYTES_PER_MB, defaultSources, IEEE39_PAPER_SOURCES, ruleSources } from "../../src/grid/sources";
import { toyCase } from "../helpers/gridCases";

describe("grid", function () {
  describe("case names", function () {
    it("normalises IEEE systems to ieee<N> from any spelling", function () {
      for (const s of ["39", "case39", "ieee39", "IEEE39", " case_39 "])
        expect(normaliseCaseName(s)).to.equal("ieee39");
      expect(normaliseCaseName("case9")).to.equal("case9");
    });

    it("maps the large cases to their file stems", function () {
      expect(normaliseCaseName("ACTIVSg10k")).to.equal("case_ACTIVSg10k");
      expect(normaliseCaseName("9241pegase")).to.equal("case9241pegase");
      expect(normaliseCaseName("case2383wp")).to.equal("case2383wp");
      expect(normaliseCaseName("my-grid")).to.equal("my-grid");
    });

    it("finds bundled files and names the known cases on a miss", function () {
      expect(bundledCasePath("ieee118")).to.match(/data[/\\]ieee[/\\]case118\.json$/);
      expect(() => bundledCasePath("case77")).to.throw(/unknown case "case77".*ieee14/);
    });
  });

  describe("terminalIdFor", function () {
    it("hashes `${case}.bus${bus}.${role}` with the normalised case name", function () {
      const id = terminalIdFor("case39", 5);
      expect(id).to.equal(keccak256(toUtf8Bytes("ieee39.bus5.node")));
      expect(id).to.match(/^0x[0-9a-f]{64}$/);
      expect(terminalIdFor("39", 5)).to.equal(id);
      expect(terminalIdFor("ieee39", 5, "pmu")).to.equal(keccak256(toUtf8Bytes("ieee39.bus5.pmu")));
      expect(terminalIdFor("ieee39", 6)).to.not.equal(id);
    });

    it("rejects a negative bus and a role with a dot", function () {
      expect(() => terminalIdFor("ieee39", -1)).to.throw(RangeError);
      expect(() => terminalIdFor("ieee39", 1, "a.b")).to.throw(RangeError);
    });
  });

  describe("loading cases", function () {
    it("loads every small bundled case with the documented counts", function () {
      const counts: Record<string, [number, number, number]> = {
        "14": [14, 5, 20],
        "30": [30, 6, 41],
        "39": [39, 10, 46],
        "57": [57, 7, 80],
        "118": [118, 54, 186],
      };
      for (const [ref, [buses, gens, branches]] of Object.entries(counts)) {
        const { name, grid } = loadCase({ case: ref });
        expect(name).to.equal(`ieee${ref}`);
        expect([grid.buses.length, grid.generators.length, grid.branches.length]).to.deep.equal([
          buses,
          gens,
          branches,
        ]);
      }
    });

    it("names the file, line and field of a schema error", function () {
      const dir = mkdtempSync(join(tmpdir(), "grid-case-"));
      const file = join(dir, "bad.json");
      const text = readFileSync(bundledCasePath("14"), "utf8").replace(
        '{"from":2,"to":3,"r":0.04699,"x":0.19797',
        '{"from":2,"to":3,"r":0.04699,"x":"big"',
      );
      writeFileSync(file, text);
      const line = text.split("\n").findIndex((l) => l.includes('"x":"big"')) + 1;
      try {
        loadCase({ file });
        expect.fail("expected a CaseError");
      } catch (e) {
        expect(e).to.be.instanceOf(CaseError);
        const err = e as CaseError;
        expect(err.field).to.equal("branches[2].x");
        expect(err.line).to.equal(line);
        expect(err.message).to.contain(`${file}:${line}: branches[2].x`);
      }
    });

    it("rejects a branch to a missing bus and a duplicate bus id", function () {
      const c = toyCase("t", 3, [[1, 2, 0.1]]);
      const missing = JSON.stringify({ ...c, branches: [...c.branches, { ...c.branches[0], to: 9 }] }, null, 1);
      expect(() => parseCase(missing, "m.json")).to.throw(CaseError, /branches\[1\]\.to: bus 9 does not exist/);
      const dup = JSON.stringify({ ...c, buses: [...c.buses, c.buses[0]] });
      expect(() => parseCase(dup, "d.json")).to.throw(CaseError, /buses\[3\]\.id: duplicate bus id 1/);
      expect(() => parseCase("{", "x.json")).to.throw(CaseError, /x\.json.*not valid JSON/);
    });
  });

  describe("buildNetwork", function () {
    it("merges parallel branches, drops out-of-service ones and self-loops, and clamps lengths", function () {
      const c = toyCase("t", 4, [
        [1, 2, 0.5],
        [2, 1, 0.1], // parallel: the shorter corridor sets the length
        [2, 3, 2], // 800 km clamps to 400
        [3, 4, 0.2, 0], // out of service
        [4, 4, 0.1], // self-loop
        [1, 3, -0.001], // series capacitor: |x|, clamped up to 1 km
      ]);
      const net = buildNetwork("t", c);
      expect(net.m).to.equal(3);
      expect(Array.from(net.lengthKm)).to.deep.equal([40, 400, 1]);
      expect(net.fixedDelayS[0]).to.be.closeTo(0.5e-3 + 40 / 2e5, 1e-15);
      expect(net.componentCount).to.equal(2);
      expect(net.component[net.indexOfBus.get(4)!]).to.not.equal(net.component[0]);
    });

    it("draws a seeded background load within the range", function () {
      const c = toyCase("t", 3, [
        [1, 2, 0.1],
        [2, 3, 0.1],
      ]);
      const a = buildNetwork("t", c, { background: { seed: 3, min: 0.1, max: 0.5 } });
      const b = buildNetwork("t", c, { background: { seed: 3, min: 0.1, max: 0.5 } });
      expect(Array.from(a.backgroundBps)).to.deep.equal(Array.from(b.backgroundBps));
      for (const bg of a.backgroundBps) expect(bg).to.be.within(0.1e9, 0.5e9);
      expect(() => buildNetwork("t", c, { background: { seed: 1, min: 0.5, max: 0.2 } })).to.throw(/background/);
    });
  });

  describe("sources", function () {
    it("uses P003's six IEEE 39 sources exactly", function () {
      const { name, grid } = loadCase({ case: "39" });
      const s = defaultSources(name, grid);
      expect(s.map((x) => [x.bus, x.bytes / BYTES_PER_MB])).to.deep.equal([
        [1, 4],
        [13, 9],
        [17, 6],
        [5, 8],
        [8, 14],
        [15, 12],
      ]);
      expect(s).to.deep.equal(IEEE39_PAPER_SOURCES);
    });

    it("takes generator buses by Pmax, then loads by Pd, cycling the sizes", function () {
      const { grid } = loadCase({ case: "14" });
      // 15% of 14 is 2, so the minimum of 4 applies: buses 1 (332.4 MW), 2 (140), then 3 and 6 (100, lower ids).
      expect(ruleSources(grid).map((x) => [x.bus, x.bytes / BYTES_PER_MB])).to.deep.equal([
        [1, 4],
        [2, 9],
        [3, 6],
        [6, 8],
      ]);
      const c = toyCase("t", 8, [], [[5, 10]]);
      c.buses[2].Pd = 50;
      c.buses[6].Pd = 70;
      c.buses[7].type = 4; // isolated buses are never sources
      expect(ruleSources(c, { minCount: 4 }).map((x) => x.bus)).to.deep.equal([5, 7, 3, 1]);
    });
  });

  describe("layoutNetwork", function () {
    it("places adjacent buses closer than distant ones, reproducibly", function () {
      const c = toyCase("line", 6, [
        [1, 2, 0.1],
        [2, 3, 0.1],
        [3, 4, 0.1],
        [4, 5, 0.1],
        [5, 6, 0.1],
      ]);
      const net = buildNetwork("line", c);
      const { x, y } = layoutNetwork(net);
      const d = (i: number, j: number): number => Math.hypot(x[i] - x[j], y[i] - y[j]);
      expect(d(0, 1)).to.be.closeTo(1, 0.1);
      expect(d(0, 5)).to.be.closeTo(5, 0.2);
      expect(Array.from(layoutNetwork(net).x)).to.deep.equal(Array.from(x));
    });
  });
});
