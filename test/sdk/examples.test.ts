import { expect } from "chai";
import hre from "hardhat";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import { startAnvil, type AnvilHandle } from "../../src/devnet/anvil";
import { deployCore } from "../../src/chain/deploy.node";
import { scratchDir } from "../helpers/scenario";

const ROOT = hre.config.paths.root;

interface ExampleRun {
  code: number | null;
  output: string;
}

/** Runs `examples/<name>.ts` the way the docs do (ts-node, transpile only) with the given environment. */
function example(name: string, env: Record<string, string>, onLine?: (line: string) => void): Promise<ExampleRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", join("examples", `${name}.ts`)], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output += text;
      if (onLine) text.split("\n").forEach((l) => l && onLine(l));
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("examples/ (SDK scripts against a running anvil)", function () {
  let anvil: AnvilHandle;
  let env: Record<string, string>;

  before(async function () {
    anvil = await startAnvil();
    const dir = scratchDir("examples");
    const signer = await new JsonRpcProvider(anvil.url).getSigner(0);
    await deployCore({ signer, network: "anvil", dir });
    env = {
      RPC_URL: anvil.url,
      NETWORK: "anvil",
      DEPLOYMENTS_DIR: dir,
      PROOFS: join(dir, "batch.proofs.json"),
    };
  });

  after(async function () {
    await anvil?.stop();
  });

  it("register-terminals registers two terminals once and lists them", async function () {
    const first = await example("register-terminals", env);
    expect(first.code, first.output).to.equal(0);
    expect(first.output).to.contain("registered 2, already there 0");
    expect(first.output.match(/^terminal 0x[0-9a-f]{64} (PMU|TTU) Active/gm)).to.have.length(2);
    const again = await example("register-terminals", env);
    expect(again.output).to.contain("registered 0, already there 2");
  });

  it("anchor-records anchors a batch that watch-batches reports as it lands", async function () {
    let watching!: () => void;
    const ready = new Promise<void>((r) => (watching = r));
    const watcher = example("watch-batches", { ...env, COUNT: "1" }, (line) => {
      if (line.startsWith("watching")) watching();
    });
    await ready;
    const anchored = await example("anchor-records", env);
    expect(anchored.code, anchored.output).to.equal(0);
    const m = /^anchored batch (\d+) root 0x[0-9a-f]{64} tx (0x[0-9a-f]{64}) block (\d+)$/m.exec(anchored.output);
    expect(m, anchored.output).to.not.equal(null);

    const watched = await watcher;
    expect(watched.code, watched.output).to.equal(0);
    expect(watched.output).to.match(
      new RegExp(`^batch ${m![1]} terminal 0x[0-9a-f]{64} seq 1 records 12 tx ${m![2]}`, "m"),
    );
  });

  it("verify-record confirms the record and flags the tampered copy", async function () {
    const verified = await example("verify-record", env);
    expect(verified.code, verified.output).to.equal(0);
    expect(verified.output).to.match(/^original: anchored \(ANCHORED in batch 1/m);
    expect(verified.output).to.match(/^tampered: tampered \(TAMPERED/m);
  });
});
