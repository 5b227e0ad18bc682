import { HDNodeWallet, JsonRpcProvider, Mnemonic, type Signer } from "ethers";
import { expect } from "chai";
import { connectCore, type CoreContracts } from "../../src/chain/contracts";
import { DEV_MNEMONIC } from "../../src/chain/keys";
import { listBatches } from "../../src/chain/streams";
import { Journal } from "../../src/pipeline/journal";
import type { RpcProvider } from "../../src/pipeline/clock";
import { runPipeline, type RunResult } from "../../src/pipeline/run";
import { NO_FAULTS } from "../../src/pipeline/faults";
import { existsSync } from "node:fs";
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
      send: {
        attempts: 4,
        baseDelayMs: 100,
        maxDelayMs: 1_000,
        receiptTimeoutMs: 20_000,
        feeBumpPercent: 15,
        batchesPerTransaction: 100,
      },
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
