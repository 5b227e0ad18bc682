import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { SigningKey, type Signer } from "ethers";
import { devTerminalWallet } from "../chain/keys";
import type { StreamState } from "../chain/streams";
import { loadCase } from "../grid/case";
import { initMerkle } from "../merkle";
import { prepare, type Prepared } from "../validation/run";
import type { ValidateStage } from "../validation/stage";
import { parseLocalDate } from "../validation/clock";
import type { RpcProvider } from "./clock";
import { planFaults, type FaultPlan } from "./faults";
import { generatePeriod, ratedNoise, type GenerationContext, type GeneratedPackage } from "./generate";
import { Journal } from "./journal";
import { readPriceCsv } from "./market";
import { previousDay, resolveRunOptions, type RunOptions } from "./options";
import { scenarioTerminals, sellerBuses, type ScenarioTerminal } from "./scenario";
import { NodeUnavailableError } from "./sender";
import { anchorPeriod, headerSigningMs } from "./stages/anchor";
import { storePeriod } from "./stages/batch";
import {
  admitPackages,
  checkPackages,
  createValidateStage,
  replayJournal,
  validateRecordsAsync,
  type CheckContext,
  type CheckedRecord,
  type IncomingPackage,
  type ReadingProfile,
  type ShadowVerdict,
} from "./stages/check";
import { periodWindow, type PipelineContext } from "./stages/context";
import { electByRouting, type GridModel } from "./stages/elect";
import { journaledZonePlan, zoneOfTerminal } from "./stages/zones";
import { provePeriod } from "./stages/prove";
import { reconcile } from "./stages/reconcile";
import { readDirectory, setupChain } from "./stages/setup";
import { buildSummary, type RunSummary } from "./summary";

export { BATCH_TYPES, batchKeyOf, buildBatchTrees } from "./stages/batch";
export type { CheckedRecord } from "./stages/check";

/** What the pipeline needs from its host (the Hardhat task, a test, or a script). */
export interface RunDeps {
  /** Funded account that deploys, registers and relays anchors (pays gas; terminals sign). */
  signer: Signer;
  provider: RpcProvider;
  /** Network name, used for the deployments file. */
  network: string;
  log?: (line: string) => void;
  /** Called after each period (for a progress bar). */
  onPeriod?: (done: number, total: number) => void;
}

export interface RunResult {
  runId: string;
  dir: string;
  summary: RunSummary;
}

function newRunId(caseName: string, seed: number): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `run-${stamp}-${caseName}-s${seed}`;
}

/** What the validator knows of each scenario terminal's sensor (its scale into load-series terms and noise). */
export function scenarioProfiles(
  terminals: readonly ScenarioTerminal[],
  loadMean: number,
  noise: GenerationContext["noise"],
): Map<string, ReadingProfile> {
  return new Map(
    terminals.map((t) => [t.terminalId.toLowerCase(), { scale: t.nominalMw / loadMean, noise: ratedNoise(noise, t) }]),
  );
}

/** The simulation as a source of packages: what the pipeline stages take from any source. */
export function asIncoming(packages: readonly GeneratedPackage[]): IncomingPackage[] {
  return packages.map((g) => ({ pkg: g.pkg, label: g.label, faults: g.items.map((item) => item.fault) }));
}

/**
 * Runs (or resumes) a simulated acquisition day: per 15-minute period, terminals' signed packages are checked,
 * readings validated (the validate stage: SVR one-step, level, CUSUM and peer checks, lags from the validated
 * readings, weekly refit), the network model elects the generator (QT-DR, with the baselines recorded), and
 * the period's batches are anchored in one transaction signed by the generator terminal. With `zones`, each
 * zone elects its own generator, which signs the batches of its zone's terminals. The simulation is one
 * source of packages for the pipeline stages (src/pipeline/stages), the same stages the gateway runs. Every step
 * is journaled so a crash or node outage followed by `resume` anchors every batch exactly once. Writes
 * summary.json, quarantine.jsonl, proofs/ and report.html to the run folder.
 */
export async function runPipeline(partial: Partial<RunOptions>, deps: RunDeps): Promise<RunResult> {
  const started = Date.now();
  const log = deps.log ?? (() => undefined);
  let opts = resolveRunOptions(partial);
  const runId = opts.resume ?? newRunId(loadCase({ case: opts.case }).name, opts.seed);
  const dir = join(opts.out, runId);
  if (opts.resume && !existsSync(join(dir, "journal.sqlite"))) {
    throw new Error(`cannot resume ${runId}: no journal at ${join(dir, "journal.sqlite")}`);
  }
  mkdirSync(join(dir, "proofs"), { recursive: true });
  const journal = new Journal(join(dir, "journal.sqlite"));
  try {
    const saved = journal.getMeta<RunOptions>("options");
    if (saved) {
      // A resumed run keeps its own scenario; only how to send may change.
      opts = { ...saved, resume: runId, confirmations: opts.confirmations, send: opts.send };
      log(`resuming ${runId}`);
    } else {
      journal.setMeta("options", opts);
      journal.setMeta("runId", runId);
    }
    await initMerkle();
    const loaded = loadCase({ case: opts.case });
    const terminals = scenarioTerminals(loaded.name, loaded.grid, opts.scenario);
    const periods = opts.periods ?? opts.days * 96;
    const chain = await setupChain({ ...deps, log }, journal, {
      caseName: loaded.name,
      register: terminals,
      periodSeconds: opts.periodSeconds,
      clock: { kind: "simulated", periods },
    });
    const directory = await readDirectory(chain.core, terminals);
    const keys = terminals.map((t) => new SigningKey(devTerminalWallet(t.terminalId).privateKey));
    const labels = new Map(terminals.map((t) => [t.terminalId, t.label]));
    const ctx: PipelineContext = {
      journal,
      chain,
      signer: deps.signer,
      provider: deps.provider,
      periodSeconds: opts.periodSeconds,
      confirmations: opts.confirmations,
      send: opts.send,
      log,
      directory,
      keyOf: (terminalId) => devTerminalWallet(terminalId).signingKey,
      labelOf: (terminalId) => labels.get(terminalId) ?? terminalId,
      tips: new Map<string, StreamState>(),
      proofsDir: join(dir, "proofs"),
    };

    const prepared = await prepare({
      data: opts.loadFile,
      trainFrom: opts.trainFrom,
      trainTo: previousDay(opts.dataDay),
      modelIn:
        opts.modelFile ??
        (existsSync(join(dir, "validator-model.json")) ? join(dir, "validator-model.json") : undefined),
      modelOut: opts.modelFile ? undefined : join(dir, "validator-model.json"),
      preset: "fast",
      // The peer figures were measured with this calibration; nothing is tuned on this split.
      calibration: "validation",
      log,
    });
    const gen = generationContext(opts, loaded, terminals, keys, prepared, chain, periods);
    const profiles = scenarioProfiles(terminals, gen.loadMean, gen.noise);
    const { dataStartMs } = gen;
    // Lags from the replayed day on come from the validated readings, as in grid:validate; peers from the case.
    const stage = createValidateStage({
      model: prepared.model,
      series: prepared.series,
      startMs: dataStartMs,
      grid: loaded.grid,
      terminals,
    });
    const shadow = new Map<string, ShadowVerdict>();
    const peakLoad = Math.max(
      ...Array.from({ length: periods }, (_, p) =>
        prepared.history.valueAt(dataStartMs + p * opts.periodSeconds * 1000),
      ),
    );
    const signMs = headerSigningMs(keys[0], chain);
    const grid: GridModel = {
      loaded,
      terminals,
      seed: opts.seed,
      backgroundMin: opts.backgroundMin,
      backgroundMax: opts.backgroundMax,
    };
    if (opts.zones !== undefined) {
      grid.zones = journaledZonePlan(journal, grid, opts.zones);
      ctx.zoneOf = zoneOfTerminal(grid, grid.zones);
      log(`zones: ${grid.zones.k}, each with its own elected generator`);
    }

    // Rebuild in-memory state from the journal: accepted leaves (replay detection) and the validate stage (its
    // history, per-terminal and peer state, refits and shadow verdicts), by checking the journaled readings again.
    const seen = new Set<string>();
    const journaled = journal.records();
    for (const r of journaled) if (r.status !== "quarantined" || r.reason !== "REPLAY") seen.add(r.leafHash);
    const replayed = await replayJournal(stage, journaled, profiles, shadow);
    if (replayed > 0) log(`validate stage rebuilt from ${replayed} journaled readings`);
    await reconcile(ctx);

    for (let period = 0; period < periods; period++) {
      const state = journal.period(period)?.state;
      if (state !== "done") {
        if (state === undefined) {
          const packages = asIncoming(generatePeriod(gen, period));
          const check: CheckContext = {
            ingest: { chainId: chain.chainId, directory, ...periodWindow(ctx, period), seen },
            stage,
            directory,
            profiles,
            period,
            shadow,
          };
          const records = await validateRecordsAsync(admitPackages(packages, check), check, Infinity);
          const loadFactor = prepared.history.valueAt(dataStartMs + period * opts.periodSeconds * 1000) / peakLoad;
          storePeriod(ctx, period, records, (tBuildMs) => electByRouting(grid, period, loadFactor, tBuildMs), signMs);
        }
        await anchorPeriod(ctx, period);
        provePeriod(ctx, period);
      }
      deps.onPeriod?.(period + 1, periods);
    }

    const summary = await buildSummary({
      journal,
      core: chain.core,
      chainId: chain.chainId,
      contracts: chain.contracts,
      runId,
      dir,
      network: deps.network,
      opts,
      started,
      terminals,
      validation: { shadow, refit: stage.refitCost() },
      log,
    });
    return { runId, dir, summary };
  } catch (e) {
    if (e instanceof NodeUnavailableError) {
      throw new NodeUnavailableError(
        `${e.message}. Every step so far is in ${join(dir, "journal.sqlite")}: run again with --resume ${runId} once the node is back.`,
        { cause: e },
      );
    }
    throw e;
  } finally {
    journal.close();
  }
}

export { previousDay };

/** Everything the simulated terminals need to produce (and sign) a period's packages. */
export function generationContext(
  opts: RunOptions,
  loaded: ReturnType<typeof loadCase>,
  terminals: readonly ScenarioTerminal[],
  keys: readonly SigningKey[],
  prepared: Pick<Prepared, "clock" | "series" | "history">,
  chain: { chainId: bigint; chainStart: number },
  periods: number,
): GenerationContext {
  const dataStartMs = parseLocalDate(opts.dataDay, prepared.clock);
  const loadMean = prepared.series.load.reduce((a, b) => a + b, 0) / prepared.series.load.length;
  const sellers = sellerBuses(loaded.grid).map((bus) => ({
    bus,
    terminalId: terminals.find((t) => t.bus === bus && t.role === "node")!.terminalId,
  }));
  const producers = terminals.flatMap((t, i) => (t.samplesPerPeriod > 0 ? [i] : []));
  const meters = terminals.flatMap((t, i) => (t.role === "meter" ? [i] : []));
  const plan: FaultPlan = planFaults(opts.seed, periods, producers, meters, opts.faults);
  return {
    caseName: loaded.name,
    terminals,
    keys,
    chainId: chain.chainId,
    load: prepared.history,
    loadMean,
    prices: readPriceCsv(opts.priceFile),
    dataStartMs,
    marketStartMs: Date.parse(`${opts.marketDay}T00:00:00Z`),
    chainStart: chain.chainStart,
    periodSeconds: opts.periodSeconds,
    seed: opts.seed,
    noise: { source: opts.sourceNoise, meter: opts.meterNoise },
    plan,
    sellers,
  };
}

/**
 * The check and validate stages over simulated packages (the benchmark's entry point): door checks, then the
 * validate stage with each reading's own scale and rated noise.
 */
export function checkPeriod(
  packages: readonly GeneratedPackage[],
  ingestCtx: CheckContext["ingest"],
  stage: ValidateStage,
  directory: CheckContext["directory"],
  period: number,
): CheckedRecord[] {
  const profiles = new Map<string, ReadingProfile>();
  for (const g of packages)
    for (const item of g.items) if (item.reading) profiles.set(item.record.terminalId.toLowerCase(), item.reading);
  return checkPackages(asIncoming(packages), { ingest: ingestCtx, stage, directory, profiles, period });
}
