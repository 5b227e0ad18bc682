import { expect } from "chai";
import hre from "hardhat";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { JsonRpcProvider } from "ethers";
import { startAnvil, type AnvilHandle } from "../../src/devnet/anvil";
import { connectCore } from "../../src/chain/contracts";
import { listBatches } from "../../src/chain/streams";
import { Journal } from "../../src/pipeline/journal";
import type { RunSummary } from "../../src/pipeline/summary";
import { scratchDir } from "../helpers/scenario";

/** Runs `hardhat <args>` against a node (deployment files in `deployments`); resolves with exit code and output. */
function hardhat(args: string[], url: string, deployments: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(join("node_modules", ".bin", "hardhat"), args, {
      env: { ...process.env, ANVIL_URL: url, GRIDLEDGER_DEPLOYMENTS_DIR: deployments },
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("exit", (code) => resolve({ code, output }));
  });
}

function confirmedBatches(runDir: string): number {
  const path = join(runDir, "journal.sqlite");
  if (!existsSync(path)) return 0;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM batches WHERE state = 'confirmed'").get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

function expectAccountedFor(summary: RunSummary): void {
  expect(summary.records.anchored + summary.records.quarantined).to.equal(summary.records.total);
  expect(summary.invariant.holds).to.equal(true);
  expect(summary.batches.failed).to.equal(0);
  expect(summary.verifiedSamples.failed).to.equal(0);
  expect(summary.verifiedSamples.ok).to.be.greaterThan(0);
  expect(summary.tamperDetected).to.equal(true);
}

describe("acquisition pipeline (grid:run)", function () {
  /** One day on IEEE 14, seed 5, on the in-process network: the run both first tests read. */
  let dir: string;
  let summary: RunSummary;
  before(async function () {
    const out = scratchDir("run");
    await hre.run("grid:run", { case: "ieee14", out, seed: 5 });
    dir = join(out, readdirSync(out)[0]);
    summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as RunSummary;
  });

  it("runs a day on the in-process network with every record anchored or quarantined", function () {
    expectAccountedFor(summary);
    expect(summary.periods).to.equal(96);
    expect(Object.keys(summary.blockTimeMs)).to.deep.equal(["QT-DR", "QoS-R", "RA-DBMM", "SP"]);
    const quarantined = readFileSync(join(dir, "quarantine.jsonl"), "utf8").trim().split("\n");
    expect(quarantined).to.have.length(summary.records.quarantined);
    expect(JSON.parse(quarantined[0])).to.have.keys([
      "recordId",
      "period",
      "terminal",
      "reason",
      "rule",
      "detail",
      "record",
    ]);
    expect(summary.quarantineReasons).to.include.keys("BAD_SIGNATURE", "REPLAY", "UNKNOWN_TERMINAL", "STALE_TIMESTAMP");
    expect(readdirSync(join(dir, "proofs"))).to.have.length(summary.batches.anchored);
    expect(readFileSync(join(dir, "report.html"), "utf8"))
      .to.contain("<svg")
      .and.contain(summary.runId)
      .and.contain("Flagged readings and the rule that flagged them");
  });

  it("injects a drift and reports each fault kind's events with and without the peer check", function () {
    expect(summary.faults.drift.injected).to.be.greaterThan(0);
    expect(Object.keys(summary.faultEvents)).to.include.members(["spike", "stuck", "drift", "dropout", "unit"]);
    for (const e of Object.values(summary.faultEvents)) {
      expect(e.withPeer).to.have.keys(["events", "inBudget", "recall", "delayHours"]);
      expect(e.withoutPeer.events).to.equal(e.withPeer.events);
    }
    // Seed 5 plays one drift on a meter: the peer check flags it within the 3 h budget, the other rules do not.
    const drift = summary.faultEvents.drift!;
    expect(drift.withPeer).to.deep.include({ events: 1, inBudget: 1, recall: 1 });
    expect(drift.withoutPeer.inBudget).to.equal(0);
    expect(drift.withPeer.delayHours.median!).to.be.lessThan(drift.withoutPeer.delayHours.median!);
    expect(summary.validation.peerCheck).to.equal(true);
    expect(summary.validation.flaggedBy).to.include.keys("peer", "one-step");
    expect(summary.validation.falseAlarms).to.have.keys(["withPeer", "withoutPeer"]);
    expect(summary.validation.refit).to.deep.equal({ refits: 0, totalMs: 0, meanMs: 0, rowsPerFit: 0 });
    const rules = readFileSync(join(dir, "quarantine.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { rule: string }).rule);
    expect(rules).to.include.members(["peer", "one-step", "stuck", "unit", "sign", "door check"]);
  });

  context("with --zones 3", function () {
    it("elects a generator per zone, which signs its zone's batches in its own transaction, and reports each zone", async function () {
      this.timeout(600_000);
      const out = scratchDir("zones");
      // Two batches a transaction at most: each zone's stream (readings and transactions) in its own.
      await hre.run("grid:run", { case: "ieee39", out, seed: 3, periods: 4, zones: "3", batchesPerTx: 2 });
      const runDir = join(out, readdirSync(out)[0]);
      const zoned = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8")) as RunSummary;
      expectAccountedFor(zoned);
      expect(zoned.zones!.k).to.equal(3);
      expect(zoned.zones!.perZone.map((z) => z.zone)).to.deep.equal([0, 1, 2]);
      expect(zoned.zones!.perZone.reduce((a, z) => a + z.buses, 0)).to.equal(39);
      expect(zoned.zones!.perZone.reduce((a, z) => a + z.records, 0)).to.equal(zoned.records.anchored);
      expect(zoned.batches.transactions).to.equal(4 * 3);

      const journal = new Journal(join(runDir, "journal.sqlite"));
      const plan = journal.getMeta<{ buses: number[]; busZone: number[] }>("zones")!;
      const zoneOfBus = new Map(plan.buses.map((bus, i) => [bus, plan.busZone[i]]));
      const batches = journal.batches();
      journal.close();
      for (const b of batches) {
        const zone = Number(/-z(\d{3})-/.exec(b.batchKey)![1]);
        expect(zoneOfBus.get(b.generatorBus), `${b.batchKey} signed in its own zone`).to.equal(zone);
      }
      // Every period, each of the three zones anchors its readings, signed by three different generators.
      for (let period = 0; period < 4; period++) {
        const own = batches.filter((b) => b.period === period && b.batchKey.endsWith("-readings"));
        expect(new Set(own.map((b) => b.terminalId)).size, `period ${period}`).to.equal(3);
      }
      expect(readFileSync(join(runDir, "report.html"), "utf8")).to.match(/3 zones \(--zones 3\)/);
    });
  });

  context("when the node crashes mid-run", function () {
    let anvil: AnvilHandle | undefined;
    after(async function () {
      await anvil?.stop();
    });

    it("resumes and anchors every batch exactly once", async function () {
      this.timeout(600_000);
      const dir = scratchDir("resume");
      const out = join(dir, "runs");
      const stateFile = join(dir, "anvil-state.json");
      // Interval mining keeps the run going long enough to crash it part-way.
      anvil = await startAnvil({ stateFile, stateInterval: 1, blockTime: 0.5 });
      const { port, url } = anvil;
      const args = [
        "grid:run",
        "--network",
        "anvil",
        "--case",
        "ieee14",
        "--out",
        out,
        "--seed",
        "9",
        "--retries",
        "2",
      ];
      const deployments = join(dir, "deployments");
      const first = hardhat(args, url, deployments);

      // Kill the node (SIGKILL: no state dump beyond the last interval) once some batches are confirmed.
      let runDir = "";
      for (let waited = 0; ; waited += 200) {
        const runs = existsSync(out) ? readdirSync(out) : [];
        if (runs.length) runDir = join(out, runs[0]);
        if (runDir && confirmedBatches(runDir) >= 10) break;
        if (waited > 240_000)
          throw new Error(
            `no 10 confirmed batches after 240 s:\n${(await Promise.race([first, Promise.resolve({ output: "(still running)" })])).output}`,
          );
        await new Promise((r) => setTimeout(r, 200));
      }
      await anvil.kill();
      const crashed = await first;
      expect(crashed.code, `the run should stop at the crash:\n${crashed.output.slice(-2000)}`).to.not.equal(0);
      expect(crashed.output)
        .to.match(/did not answer after 2 attempts/)
        .and.match(/--resume run-/);

      anvil = await startAnvil({ port, stateFile, stateInterval: 1, blockTime: 0.5 });
      const runId = runDir.split("/").pop()!;
      const resumed = await hardhat(
        ["grid:run", "--network", "anvil", "--out", out, "--resume", runId],
        url,
        deployments,
      );
      expect(resumed.code, resumed.output).to.equal(0);
      // The validate stage is rebuilt by checking the journaled readings again (it throws if a verdict differs).
      expect(resumed.output).to.match(/validate stage rebuilt from \d+ journaled readings/);

      const summary = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8")) as RunSummary;
      expectAccountedFor(summary);
      const journal = new Journal(join(runDir, "journal.sqlite"));
      const journalRoots = journal.batches().map((b) => b.root.toLowerCase());
      expect(journal.batches().every((b) => b.state === "confirmed")).to.equal(true);
      expect(journal.counts().pending).to.equal(0);
      journal.close();

      const provider = new JsonRpcProvider(url);
      const core = connectCore(
        { registry: summary.contracts.TerminalRegistry, acquisition: summary.contracts.DataAcquisition },
        provider,
      );
      const onChain = (await listBatches(core.acquisition)).map((b) => b.merkleRoot.toLowerCase());
      expect(new Set(onChain).size, "no root anchored twice").to.equal(onChain.length);
      expect([...onChain].sort()).to.deep.equal([...journalRoots].sort());
      provider.destroy();
    });
  });
});
