import { HDNodeWallet, JsonRpcProvider, Mnemonic, type Signer } from "ethers";
import { expect } from "chai";
import { connectCore, type CoreContracts } from "../../src/chain/contracts";
import { DEV_MNEMONIC } from "../../src/chain/keys";
import { listBatches } from "../../src/chain/streams";
import { Journal } from "../../src/pipeline/journal";
import type { RpcProvider } from "../../src/pipeline/clock";
import { runPipeline, type RunResult } from "../../src/pipeline/run";
import type { RunSummary } from "../../src/pipeline/summaryTypes";
import { NO_FAULTS } from "../../src/pipeline/faults";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";

/** Account `index` of the development mnemonic (the node's funded accounts). */
export function devAccount(index: number, provider: RpcProvider): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), `m/44'/60'/0'/0/${index}`).connect(provider);
}

/**
 * A JSON-RPC provider a test can steer: `before(method)` runs ahead of each raw call (to reorganise the chain at
 * an exact step), and `clientVersion` makes anvil pass for a wall-clock node (the pipeline then backfills).
 */
export class SteeredProvider extends JsonRpcProvider {
  before?: (method: string, params: unknown[]) => Promise<void>;

  clientVersion?: string;

  constructor(url: string) {
    super(url, undefined, { staticNetwork: true, pollingInterval: 250, cacheTimeout: -1 });
  }

  override async send(method: string, params: unknown[]): Promise<unknown> {
    if (method === "web3_clientVersion" && this.clientVersion) return this.clientVersion;
    await this.before?.(method, params);
    return super.send(method, params);
  }
}

export interface ShortRun {
  signer: Signer;
  provider: RpcProvider;
  out: string;
  caseName?: string;
  periods?: number;
  confirmations?: number;
  /** Network name of the deployments file (writers of one chain share it). */
  network?: string;
  seed?: number;
  /** Continue this run (its folder under `out`). */
  resume?: string;
  log?: (line: string) => void;
  onPeriod?: (done: number, total: number) => void;
}

/** The validator model the first short run trained; later runs load it instead of training again. */
let trainedModel: string | undefined;

/** The validator model an earlier short run of this test process trained, if any (`grid:run --model`). */
export function trainedModelFile(): string | undefined {
  return trainedModel;
}

/** A short simulated run (a few periods, no injected faults) of the acquisition pipeline. */
export async function shortRun(o: ShortRun): Promise<RunResult> {
  const result = await runPipeline(
    {
      case: o.caseName ?? "ieee14",
      periods: o.periods ?? 2,
      seed: o.seed ?? 3,
      out: o.out,
      resume: o.resume,
      confirmations: o.confirmations ?? 1,
      faults: { ...NO_FAULTS },
      verifySamples: 4,
      modelFile: o.resume ? undefined : trainedModel,
      send: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, receiptTimeoutMs: 20_000, feeBumpPercent: 15 },
    },
    { signer: o.signer, provider: o.provider, network: o.network ?? "consortium", log: o.log, onPeriod: o.onPeriod },
  );
  const model = join(result.dir, "validator-model.json");
  if (!trainedModel && existsSync(model)) trainedModel = model;
  return result;
}

/** The run's contracts, read-only. */
export function runCore(result: RunResult, provider: RpcProvider): CoreContracts {
  const c = result.summary.contracts;
  return connectCore({ registry: c.TerminalRegistry, acquisition: c.DataAcquisition }, provider);
}

/**
 * Every batch of the runs is confirmed in its journal, anchored on-chain exactly once, and the journal's batch id
 * and block for each root are the chain's.
 */
export async function expectExactlyOnce(results: readonly RunResult[], core: CoreContracts): Promise<void> {
  const onChain = await listBatches(core.acquisition);
  const roots = onChain.map((b) => b.merkleRoot.toLowerCase());
  expect(new Set(roots).size, "no root anchored twice").to.equal(roots.length);
  const byRoot = new Map(onChain.map((b) => [b.merkleRoot.toLowerCase(), b]));
  let batches = 0;
  for (const r of results) {
    expect(r.summary.invariant.holds, `${r.runId}: every record anchored or quarantined`).to.equal(true);
    expect(r.summary.verifiedSamples.failed).to.equal(0);
    const journal = new Journal(join(r.dir, "journal.sqlite"));
    try {
      for (const b of journal.batches()) {
        batches++;
        expect(b.state, b.batchKey).to.equal("confirmed");
        const chain = byRoot.get(b.root.toLowerCase());
        expect(chain, `${b.batchKey} on-chain`).to.not.equal(undefined);
        expect(b.batchId, `${b.batchKey} batch id`).to.equal(Number(chain!.batchId));
        expect(b.blockNumber, `${b.batchKey} block`).to.equal(chain!.blockNumber);
      }
      expect(journal.counts().pending).to.equal(0);
    } finally {
      journal.close();
    }
  }
  expect(batches).to.equal(roots.length);
}

/** An HTTP JSON-RPC front for a node that reports another client version; everything else is the node's answer. */
export interface ClientVersionFront {
  url: string;
  close(): Promise<void>;
}

/**
 * Puts an HTTP front before `target` that answers `web3_clientVersion` with `clientVersion`: separate processes
 * (which a SteeredProvider cannot reach) then take anvil for a wall-clock node such as Besu, and anchor as a
 * backfill instead of moving the one shared clock.
 */
export async function startClientVersionFront(target: string, clientVersion: string): Promise<ClientVersionFront> {
  type Call = { id?: unknown; method?: string };
  type Reply = { id?: unknown; result?: unknown };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const calls = ([] as Call[]).concat(JSON.parse(body) as Call | Call[]);
        const asked = new Set(calls.filter((c) => c.method === "web3_clientVersion").map((c) => c.id));
        const upstream = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
        let text = await upstream.text();
        if (asked.size > 0) {
          const parsed = JSON.parse(text) as Reply | Reply[];
          const patch = (r: Reply) => (asked.has(r.id) ? { ...r, result: clientVersion } : r);
          text = JSON.stringify(Array.isArray(parsed) ? parsed.map(patch) : patch(parsed));
        }
        res.writeHead(upstream.status, { "content-type": "application/json" }).end(text);
      })().catch((error: unknown) => {
        res.writeHead(502).end(error instanceof Error ? error.message : String(error));
      });
    });
  });
  // Keep idle connections longer than the clients do, so none reuses a socket the front has just closed.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("client version front: no listening address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One `npx hardhat grid:run` as its own OS process. */
export interface GridRunProcess {
  /** The network config the process uses (`custom`: RPC_URL and the `GRID_PRIVATE_KEY` hardhat var). */
  rpcUrl: string;
  relayerKey: string;
  deploymentsDir: string;
  args: string[];
  /** `--out`: the parent folder of the run folder. */
  out: string;
  timeoutMs: number;
}

/** Runs `grid:run` in a child process and reads the run it wrote (its summary.json); rejects with its output. */
export async function gridRunProcess(o: GridRunProcess): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = {};
  // Nothing of this process's Hardhat (network, vars) leaks into the child's: it reads only what is given here.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("HARDHAT_")) env[k] = v;
  Object.assign(env, {
    RPC_URL: o.rpcUrl,
    HARDHAT_VAR_GRID_PRIVATE_KEY: o.relayerKey,
    GRIDLEDGER_DEPLOYMENTS_DIR: o.deploymentsDir,
  });
  const child = spawn("npx", ["hardhat", "grid:run", "--network", "custom", "--out", o.out, ...o.args], {
    env,
    // Its own process group: a timeout stops npx and the Hardhat process under it together.
    detached: true,
  });
  let output = "";
  for (const s of [child.stdout, child.stderr]) s.on("data", (c: Buffer) => (output += c.toString("utf8")));
  const timer = setTimeout(() => process.kill(-child.pid!, "SIGTERM"), o.timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (exit) => resolve(exit));
  }).finally(() => clearTimeout(timer));
  const dir = /outputs: (.+)\/\{summary\.json/.exec(output)?.[1];
  if (code !== 0 || dir === undefined)
    throw new Error(`grid:run ${o.args.join(" ")} exited with ${code ?? "a signal"}:\n${output}`);
  const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as RunSummary;
  return { runId: summary.runId, dir, summary };
}
