import { expect } from "chai";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HDNodeWallet, JsonRpcProvider, Wallet, keccak256, toUtf8Bytes } from "ethers";
import { connectCore } from "../../src/chain/contracts";
import { DEV_MNEMONIC } from "../../src/chain/keys";
import { freePort, startAnvil, type AnvilHandle } from "../../src/devnet/anvil";
import { GatewayJournal } from "../../src/gateway/inbox";
import { encodeGridId } from "../../src/pipeline/stages/setup";
import { scratchDir } from "../helpers/scenario";

/** A chain id that is not a development chain's (31337): the gateway treats it as production. */
const CHAIN_ID = 4242;

/**
 * `npx hardhat grid:serve --network custom` as its own process, with only the given hardhat vars (as
 * HARDHAT_VAR_<NAME>, which Hardhat's `vars` reads like `npx hardhat vars set`). Resolves with its exit code and
 * output once it exits, or once it prints its listening line (then it is stopped with SIGTERM).
 */
async function serve(o: { rpcUrl: string; deployments: string; vars: Record<string, string>; args: string[] }) {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("HARDHAT_")) env[k] = v;
  Object.assign(env, { RPC_URL: o.rpcUrl, GRIDLEDGER_DEPLOYMENTS_DIR: o.deployments });
  for (const [name, value] of Object.entries(o.vars)) env[`HARDHAT_VAR_${name}`] = value;
  const child = spawn(
    "npx",
    ["hardhat", "grid:serve", "--network", "custom", "--http-port", "0", "--mqtt-port", "0", "--quiet", ...o.args],
    { env, detached: true },
  );
  let output = "";
  let listening = false;
  for (const s of [child.stdout, child.stderr])
    s.on("data", (c: Buffer) => {
      output += c.toString("utf8");
      if (!listening && output.includes('"event":"listening"')) {
        listening = true;
        process.kill(-child.pid!, "SIGTERM");
      }
    });
  const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 240_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (exit) => resolve(exit));
  }).finally(() => clearTimeout(timer));
  return { code, output, listening };
}

describe("grid:serve --zones --zone-generators, the task on a non-development chain", function () {
  this.timeout(900_000);
  let anvil: AnvilHandle | undefined;
  let provider: JsonRpcProvider | undefined;
  const dir = scratchDir("serve-zone-generators");
  const dataDir = join(dir, "gateway");
  const deployments = join(dir, "deployments");
  const relayer = HDNodeWallet.fromPhrase(DEV_MNEMONIC);
  const run = (vars: Record<string, string>, args: string[]) =>
    serve({
      rpcUrl: anvil!.url,
      deployments,
      vars: { GRID_PRIVATE_KEY: relayer.privateKey, ...vars },
      args: ["--case", "ieee14", "--zones", "2", "--data-dir", dataDir, ...args],
    });

  before(async function () {
    anvil = await startAnvil({ port: await freePort(), args: ["--chain-id", String(CHAIN_ID)] });
    provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  });
  after(async function () {
    provider?.destroy();
    await anvil?.stop();
  });

  it("refuses zones without operator keys, checks hardhat vars and the registry, then serves", async function () {
    // No generators named: refused after the plan is written, since nobody holds the dev keys off a dev chain.
    const bare = await run({}, []);
    expect(bare.code).to.not.equal(0);
    expect(bare.output).to.match(
      /not a development chain: --zones needs --zone-generators <file\.json> naming a registered generator terminal of each of the 2 zones/,
    );
    expect(bare.output).to.contain(join(dataDir, "zone-plan.json"));
    const plan = JSON.parse(readFileSync(join(dataDir, "zone-plan.json"), "utf8")) as {
      zones: { buses: number[] }[];
    };

    // The operator registers one generator terminal per zone, with keys of its own.
    const journal = new GatewayJournal(join(dataDir, "journal.sqlite"));
    const contracts = journal.getMeta<{ contracts: Record<string, string> }>("chain")!.contracts;
    journal.close();
    const registry = connectCore(
      { registry: contracts.TerminalRegistry, acquisition: contracts.DataAcquisition },
      relayer.connect(provider!),
    ).registry;
    const wallets = [Wallet.createRandom(), Wallet.createRandom()];
    const ids = [0, 1].map((z) => keccak256(toUtf8Bytes(`serve-task.zone${z}`)));
    for (const z of [0, 1]) {
      const location = { gridId: encodeGridId("ieee14"), bus: plan.zones[z].buses[0], geohash: `0x${"00".repeat(12)}` };
      await (await registry.register(ids[z], wallets[z].address, 4, location, "zone generator")).wait();
    }
    const file = join(dir, "zone-generators.json");
    writeFileSync(
      file,
      JSON.stringify({
        generators: [
          { zone: 0, terminal: ids[0], key: { var: "ZONE0_KEY" } },
          { zone: 1, candidates: [{ terminal: ids[1], key: { var: "ZONE1_KEY" } }] },
        ],
      }),
    );
    const args = ["--zone-generators", file];

    const both = await run({}, [...args, "--generator", ids[0]]);
    expect(both.code).to.not.equal(0);
    expect(both.output).to.contain("--generator names one generator for the grid, --zone-generators one per zone");

    // A hardhat var that is not set names the zone, the terminal and the command that sets it.
    const unset = await run({ ZONE0_KEY: wallets[0].privateKey }, args);
    expect(unset.code).to.not.equal(0);
    expect(unset.output).to.contain(
      `--zone-generators ${file}: zone 1 (terminal ${ids[1]}): hardhat var ZONE1_KEY is not set (npx hardhat vars set ZONE1_KEY)`,
    );

    // A key that is not the registry's signer names the zone, the terminal, the var and both addresses; so does a
    // terminal nobody registered (the registry reverts getTerminal for it).
    const unregistered = keccak256(toUtf8Bytes("serve-task.unregistered"));
    const other = join(dir, "zone-generators-wrong.json");
    writeFileSync(
      other,
      JSON.stringify({
        generators: [
          { zone: 0, terminal: ids[0], key: { var: "ZONE0_KEY" } },
          { zone: 1, terminal: unregistered, key: { var: "ZONE1_KEY" } },
        ],
      }),
    );
    const wrong = await run({ ZONE0_KEY: wallets[1].privateKey, ZONE1_KEY: wallets[1].privateKey }, [
      "--zone-generators",
      other,
    ]);
    expect(wrong.code).to.not.equal(0);
    expect(wrong.output).to.contain(
      `zone 0: generator terminal ${ids[0]}: the key from hardhat var ZONE0_KEY is ${wallets[1].address}, but the registry's current signer is ${wallets[0].address}`,
    );
    expect(wrong.output).to.contain(`zone 1: generator terminal ${unregistered} is not registered in TerminalRegistry`);

    // With both keys right it starts and listens.
    const good = await run({ ZONE0_KEY: wallets[0].privateKey, ZONE1_KEY: wallets[1].privateKey }, args);
    expect(good.listening, good.output).to.equal(true);
    expect(existsSync(join(dataDir, "journal.sqlite"))).to.equal(true);
  });
});
