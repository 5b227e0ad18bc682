import { expect } from "chai";
import hre from "hardhat";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { JsonRpcProvider } from "ethers";
import { startAnvil, type AnvilHandle } from "../../src/devnet/anvil";
import { futureWindow, mineAt, scratchDir, writeReadingsCsv, writeTerminalsJson } from "../helpers/scenario";
import { runTask } from "../helpers/tasks";

const run = promisify(execFile);

/**
 * How a scenario drives the tasks: in-process through hre.run, or through the CLI against a node. `task` resolves
 * to the output when the task succeeds and exits 0, and rejects with the output otherwise.
 */
interface TaskRunner {
  task(name: string, args: Record<string, string | number | boolean>): Promise<string>;
  send(method: string, params: unknown[]): Promise<unknown>;
  blockNumber(): Promise<number>;
}

function inProcessRunner(): TaskRunner {
  return {
    task: runTask,
    send: (method, params) => hre.network.provider.send(method, params),
    blockNumber: async () => Number(await hre.network.provider.send("eth_blockNumber", [])),
  };
}

function cliRunner(anvil: AnvilHandle): TaskRunner {
  const provider = new JsonRpcProvider(anvil.url);
  // Keep this node's deployment file out of the project's deployments/ folder.
  const deployments = scratchDir("deployments");
  return {
    async task(name, args) {
      const argv = [name, "--network", "anvil"];
      for (const [k, v] of Object.entries(args)) {
        const flag = `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
        if (v === true) argv.push(flag);
        else if (v !== false) argv.push(flag, String(v));
      }
      try {
        const { stdout } = await run(join("node_modules", ".bin", "hardhat"), argv, {
          env: { ...process.env, ANVIL_URL: anvil.url, GRIDLEDGER_DEPLOYMENTS_DIR: deployments },
        });
        return stdout;
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string };
        throw new Error(`${err.stderr ?? ""}${err.stdout ?? ""}`);
      }
    },
    send: (method, params) => provider.send(method, params),
    blockNumber: () => provider.getBlockNumber(),
  };
}

/** Deploy, register, anchor, verify (good and tampered), and the refusals that must send nothing. */
async function anchorScenario(runner: TaskRunner, full: boolean) {
  const dir = scratchDir("e2e");
  const latest = (await runner.send("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
  const windowStart = futureWindow(Number(latest.timestamp));
  const records = writeReadingsCsv(dir, "bus5.csv", windowStart);

  expect(await runner.task("grid:deploy", {})).to.match(/DataAcquisition: (deployed|reusing)/);
  expect(await runner.task("grid:deploy", {})).to.contain("Nothing to deploy");
  expect(await runner.task("grid:terminal:register", { file: writeTerminalsJson(dir) })).to.contain("2 registered");
  expect(await runner.task("grid:terminal:register", { file: writeTerminalsJson(dir) })).to.contain("2 already there");

  await mineAt(runner.send, windowStart + 900 + 5);
  const anchored = await runner.task("grid:anchor", { file: records, terminal: "e2e.bus5.pmu", type: 1 });
  expect(anchored).to.match(/Anchored 12 records as batch \d+/);
  const proofs = JSON.parse(readFileSync(`${records}.proofs.json`, "utf8"));
  expect(proofs.proofs).to.have.length(12);

  const before = await runner.blockNumber();
  expect(await runner.task("grid:anchor", { file: records, terminal: "e2e.bus5.pmu", type: 1 })).to.contain(
    "Already anchored",
  );
  expect(await runner.blockNumber()).to.equal(before);

  const good = join(dir, "good.json");
  writeFileSync(good, JSON.stringify(proofs.proofs[4].record));
  expect(await runner.task("grid:verify", { record: good, proof: `${records}.proofs.json` })).to.match(
    /^ANCHORED in batch \d+ \(tx 0x[0-9a-f]{64}, block \d+\)/,
  );
  const tampered = join(dir, "tampered.json");
  const record = proofs.proofs[4].record;
  writeFileSync(
    tampered,
    JSON.stringify({ ...record, payload: { ...record.payload, voltage_v: record.payload.voltage_v + 1 } }),
  );
  const verdict = await runner
    .task("grid:verify", { record: tampered, proof: `${records}.proofs.json` })
    .catch((e: Error) => e);
  expect(verdict, "a tampered record makes grid:verify fail").to.be.instanceOf(Error);
  expect((verdict as Error).message).to.match(/^TAMPERED/);
  if (!full) return;

  const refusals: [Record<string, string | number>, RegExp][] = [
    [
      { file: writeReadingsCsv(dir, "unknown.csv", windowStart, 3, 1), terminal: "e2e.bus99.meter", type: 1 },
      /is not registered/,
    ],
    [
      { file: writeReadingsCsv(dir, "type.csv", windowStart, 3, 2), terminal: "e2e.bus5.pmu", type: 42 },
      /data type 42 has no enabled policy/,
    ],
    [
      {
        file: writeReadingsCsv(dir, "key.csv", windowStart, 3, 3),
        terminal: "e2e.bus5.pmu",
        type: 1,
        mnemonic: "legal winner thank year wave sausage worth useful legal winner thank yellow",
      },
      /signs with 0x[0-9a-fA-F]{40}, but the key given is/,
    ],
    [
      { file: writeReadingsCsv(dir, "replay.csv", windowStart, 3, 4), terminal: "e2e.bus5.pmu", type: 1, sequence: 1 },
      /sequence 1 replays stream/,
    ],
    [
      { file: writeReadingsCsv(dir, "stale.csv", windowStart - 3600, 3, 5), terminal: "e2e.bus5.pmu", type: 1 },
      /accepts at most 900 s/,
    ],
  ];
  const malformed = join(dir, "malformed.csv");
  writeFileSync(malformed, "timestamp,power_kw\n2026-01-01T00:00:00Z,1\nnot-a-time,2\n");
  refusals.push([{ file: malformed, terminal: "e2e.bus5.pmu", type: 1 }, /malformed\.csv:3 field "timestamp"/]);
  for (const [args, message] of refusals) {
    const block = await runner.blockNumber();
    let error: Error | undefined;
    await runner.task("grid:anchor", args).catch((e: Error) => (error = e));
    expect(error?.message, JSON.stringify(args)).to.match(message);
    expect(await runner.blockNumber(), "no transaction may be sent").to.equal(block);
  }

  await runner.task("grid:terminal:suspend", { terminal: "e2e.bus13.ttu" });
  let suspended: Error | undefined;
  await runner
    .task("grid:anchor", {
      file: writeReadingsCsv(dir, "susp.csv", windowStart, 3, 6),
      terminal: "e2e.bus13.ttu",
      type: 1,
    })
    .catch((e: Error) => (suspended = e));
  expect(suspended?.message).to.match(/is Suspended, not Active/);
}

describe("anchoring flow (tasks end to end)", function () {
  it("runs on the in-process Hardhat network", async function () {
    await anchorScenario(inProcessRunner(), true);
  });

  context("against a real anvil process", function () {
    let anvil: AnvilHandle;
    before(async function () {
      anvil = await startAnvil();
    });
    after(async function () {
      await anvil?.stop();
    });

    it("deploys, registers, anchors and verifies through the CLI", async function () {
      this.timeout(300_000);
      await anchorScenario(cliRunner(anvil), false);
    });
  });
});
