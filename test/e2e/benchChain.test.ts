import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../helpers/scenario";
import { runTask } from "../helpers/tasks";
import { httpRpc, type BenchResult } from "../../bench/lib/chain";

describe("grid:bench:chain (in-process, tiny load)", function () {
  it("offers query and uplink load at each rate and writes the JSON and the figure", async function () {
    const out = scratchDir("bench");
    const printed = await runTask("grid:bench:chain", { rates: "5,20", duration: 1, terminals: 4, out, drain: 10 });
    expect(printed).to.match(/rate 20\/s {2}uplink: 20\/20 ok/);
    const result = JSON.parse(readFileSync(join(out, "chain-hardhat.json"), "utf8")) as BenchResult;
    expect(result.runs.map((r) => r.rate)).to.deep.equal([5, 20]);
    for (const run of result.runs) {
      for (const phase of [run.query, run.uplink]) {
        expect(phase.sent).to.equal(run.rate);
        expect(phase.ok, JSON.stringify(phase.errors)).to.equal(run.rate);
        expect(phase.throughput).to.be.greaterThan(0);
        expect(phase.p95Ms).to.be.at.least(phase.p50Ms);
      }
    }
    expect(result.uplinkGasLimit).to.be.within(60_000, 200_000);
    const svg = readFileSync(join(out, "chain-hardhat.svg"), "utf8");
    expect(svg).to.contain("Achieved throughput").and.contain("uplink (anchorBatch tx)");
  });

  it("refuses a node that is not on loopback", function () {
    expect(() => httpRpc("http://192.0.2.1:8545")).to.throw("only runs against a loopback node");
  });
});
