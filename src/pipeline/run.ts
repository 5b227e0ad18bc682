import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { SigningKey, type Signer } from "ethers";
import { deployCore } from "../chain/deploy.node";
import { acquisitionDomain, hashHeader, headerDigest } from "../chain/eip712";
import { signDigest } from "../chain/nativeEcdsa.node";
import { devTerminalWallet } from "../chain/keys";
import { buildBatchProofs, writeBatchProofs } from "../chain/proofs.node";
import { readStreamState, listBatches, type StreamState } from "../chain/streams";
import { registerTerminals, type TerminalSpec } from "../terminals/registration.node";
import { DataType, TriggerMode, type BatchHeader } from "../chain/types";
import type { CoreContracts } from "../chain/contracts";
import { sendChecked } from "../chain/errors";
import { loadCase } from "../grid/case";
import { buildNetwork } from "../grid/network";
import { FastMerkleTree, initMerkle, LEAF_TYPES, parseRecord, type GridRecord, type RecordLeaf } from "../merkle";
import { routePeriod } from "../routing/api";
import { prepare, type Prepared } from "../validation/run";
import { StreamingValidator } from "../validation/validator";
import { parseLocalDate } from "../validation/clock";
import { canSetTime, latestTimestamp, mineBlocks, setNextBlockTime, type RpcProvider } from "./clock";
import { planFaults, type FaultPlan } from "./faults";
import { generatePeriod, type GenerationContext, type GeneratedPackage } from "./generate";
import { ingestPackage, type TerminalDirectory } from "./ingest";
import { Journal, type JournalBatch, type JournalRecord } from "./journal";
import { readPriceCsv } from "./market";
import { resolveRunOptions, type RunOptions } from "./options";
import { scenarioTerminals, sellerBuses, type ScenarioTerminal } from "./scenario";
import { callWithRetry, NodeUnavailableError, sendWithRetry } from "./sender";
import { buildSummary, type RunSummary } from "./summary";
import { checkTransaction } from "./transactions";

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

/** Batches of a period: readings and power transactions, each its own data type (TY). */
export const BATCH_TYPES = [
  { suffix: "readings", kind: 1, warpType: DataType.Reading, backfillType: 11 },
  { suffix: "transactions", kind: 2, warpType: DataType.Transaction, backfillType: 12 },
] as const;

interface ChainSetup {
  core: CoreContracts;
  chainId: bigint;
  contracts: Record<string, string>;
  /** "warp": the chain clock is moved to each period's end; "backfill": a wall-clock node anchors a past day. */
  mode: "warp" | "backfill";
  chainStart: number;
  dataTypes: Record<"readings" | "transactions", number>;
}

const pad = (n: number) => String(n).padStart(4, "0");
export const batchKeyOf = (period: number, suffix: string) => `p${pad(period)}-${suffix}`;

function newRunId(caseName: string, seed: number): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `run-${stamp}-${caseName}-s${seed}`;
}

/**
 * Runs (or resumes) a simulated acquisition day: per 15-minute period, terminals' signed packages are checked,
 * readings validated (SVR), the network model elects the generator (QT-DR, with the baselines recorded), and
 * the period's batches are anchored in one transaction signed by the generator terminal. Every step is journaled
 * so a crash or node outage followed by `resume` anchors every batch exactly once. Writes summary.json,
 * quarantine.jsonl, proofs/ and report.html to the run folder.
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
    const periods = opts.days * 96;
    const chain = await setupChain(opts, deps, journal, loaded.name, terminals, periods, log);
    const directory = await readDirectory(chain.core, terminals);
    const keys = terminals.map((t) => new SigningKey(devTerminalWallet(t.terminalId).privateKey));

    const prepared = await prepare({
      data: opts.loadFile,
      trainFrom: opts.trainFrom,
      trainTo: previousDay(opts.dataDay),
      modelIn:
        opts.modelFile ??
        (existsSync(join(dir, "validator-model.json")) ? join(dir, "validator-model.json") : undefined),
      modelOut: opts.modelFile ? undefined : join(dir, "validator-model.json"),
      preset: "fast",
      log,
    });
    const validator = new StreamingValidator(prepared.model, prepared.history);
    const gen = generationContext(opts, loaded, terminals, keys, prepared, chain, periods);
    const { dataStartMs } = gen;
    const peakLoad = Math.max(
      ...Array.from({ length: periods }, (_, p) =>
        prepared.history.valueAt(dataStartMs + p * opts.periodSeconds * 1000),
      ),
    );
    const signMs = calibrateHeaderSigning(keys[0], chain);

    // Rebuild in-memory state from the journal: accepted leaves (replay detection) and the validator's per-source state.
    const seen = new Set<string>();
    for (const r of journal.records()) if (r.status !== "quarantined" || r.reason !== "REPLAY") seen.add(r.leafHash);
    const noiseOf = new Map(
      terminals.map((t) => [t.terminalId, t.role === "meter" ? opts.meterNoise : opts.sourceNoise]),
    );
    for (const r of journal.records()) {
      if (r.kind === 1 && r.actualNorm !== null && r.reason === null) {
        validator.check({
          timestamp: Date.parse((JSON.parse(r.payload) as { dataTime: string }).dataTime),
          value: r.actualNorm,
          source: r.terminalId,
          noise: noiseOf.get(r.terminalId),
        });
      }
    }
    await reconcile(journal, chain, log);

    const tips = new Map<string, StreamState>();
    for (let period = 0; period < periods; period++) {
      const state = journal.period(period)?.state;
      if (state !== "done") {
        if (state === undefined) {
          const packages = generatePeriod(gen, period);
          const windowStart = chain.chainStart + period * opts.periodSeconds;
          const ingestCtx = {
            chainId: chain.chainId,
            directory,
            windowStart,
            windowEnd: windowStart + opts.periodSeconds,
            seen,
          };
          const records = checkPeriod(packages, ingestCtx, validator, directory, period);
          const loadFactor = prepared.history.valueAt(dataStartMs + period * opts.periodSeconds * 1000) / peakLoad;
          storePeriod(journal, period, records, chain, terminals, loaded, opts, loadFactor, signMs);
        }
        await anchorPeriod(journal, period, chain, terminals, deps, opts, tips, log);
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

export function previousDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

/** Everything the simulated terminals need to produce (and sign) a period's packages. */
export function generationContext(
  opts: RunOptions,
  loaded: ReturnType<typeof loadCase>,
  terminals: readonly ScenarioTerminal[],
  keys: readonly SigningKey[],
  prepared: Prepared,
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

/** Deploys (or reuses) the contracts, registers the scenario's terminals, and fixes the run's clock. */
async function setupChain(
  opts: RunOptions,
  deps: RunDeps,
  journal: Journal,
  caseName: string,
  terminals: readonly ScenarioTerminal[],
  periods: number,
  log: (line: string) => void,
): Promise<ChainSetup> {
  const chainId = (await deps.provider.getNetwork()).chainId;
  const deployed = await deployCore({ signer: deps.signer, network: deps.network, log });
  const core = deployed.contracts;
  const contracts = {
    TerminalRegistry: await core.registry.getAddress(),
    DataAcquisition: await core.acquisition.getAddress(),
  };
  const recorded = journal.getMeta<{
    contracts: Record<string, string>;
    mode: ChainSetup["mode"];
    chainStart: number;
    chainId: string;
  }>("chain");
  if (recorded && recorded.contracts.DataAcquisition !== contracts.DataAcquisition) {
    throw new Error(
      `this run anchored to DataAcquisition ${recorded.contracts.DataAcquisition}, but the network now has ${contracts.DataAcquisition} (node reset?): start a new run`,
    );
  }
  const specs: TerminalSpec[] = terminals.map((t, i) => ({
    label: t.label,
    terminalId: t.terminalId,
    signer: devTerminalWallet(t.terminalId).address,
    kind: t.kind,
    location: { gridId: encodeGridId(caseName), bus: t.bus, geohash: `0x${"00".repeat(12)}` },
    metadataURI: `gridledger:${t.label}`,
    line: i + 1,
  }));
  const registration = await registerTerminals(core, specs, `${caseName} scenario`);
  if (registration.registered.length > 0) log(`registered ${registration.registered.length} terminals`);

  let setup: ChainSetup;
  if (recorded) {
    setup = {
      core,
      chainId,
      contracts,
      mode: recorded.mode,
      chainStart: recorded.chainStart,
      dataTypes: dataTypesFor(recorded.mode),
    };
  } else {
    const now = await latestTimestamp(deps.provider);
    const mode = (await canSetTime(deps.provider)) ? "warp" : "backfill";
    const chainStart =
      mode === "warp"
        ? (Math.floor(now / opts.periodSeconds) + 1) * opts.periodSeconds
        : (Math.floor(now / opts.periodSeconds) - periods) * opts.periodSeconds;
    setup = { core, chainId, contracts, mode, chainStart, dataTypes: dataTypesFor(mode) };
    journal.setMeta("chain", { contracts, mode, chainStart, chainId: chainId.toString() });
    if (mode === "backfill")
      log(`this node keeps wall-clock time: anchoring the day that just ended as a backfill (data types 11, 12)`);
  }
  if (setup.mode === "backfill") {
    for (const t of BATCH_TYPES) {
      const policy = {
        tolerance: periods * opts.periodSeconds + 3600,
        timeScale: opts.periodSeconds,
        maxRecords: 1_000_000,
        sensorCount: 0,
        trigger: TriggerMode.EventDriven,
        enabled: true,
      };
      const current = await core.acquisition.policyOf(t.backfillType);
      if (!current.enabled || Number(current.tolerance) < policy.tolerance) {
        await sendChecked(`setPolicy(${t.backfillType})`, core.acquisition.setPolicy, t.backfillType, policy);
      }
    }
  }
  return setup;
}

function dataTypesFor(mode: ChainSetup["mode"]): ChainSetup["dataTypes"] {
  const pick = (t: (typeof BATCH_TYPES)[number]) => (mode === "warp" ? t.warpType : t.backfillType);
  return { readings: pick(BATCH_TYPES[0]), transactions: pick(BATCH_TYPES[1]) };
}

function encodeGridId(caseName: string): string {
  return `0x${Buffer.from(caseName.slice(0, 31), "utf8").toString("hex").padEnd(64, "0")}`;
}

/** The registry as of now, for the scenario's terminals. */
async function readDirectory(core: CoreContracts, terminals: readonly ScenarioTerminal[]): Promise<TerminalDirectory> {
  const directory = new Map<string, { label: string; signer: string; active: boolean }>();
  for (const t of terminals) {
    const [signer, status] = await core.registry.signerAndStatus(t.terminalId);
    directory.set(t.terminalId.toLowerCase(), { label: t.label, signer, active: Number(status) === 1 });
  }
  return directory;
}

/** Time to sign one batch header with a terminal key (part of T_build in the block-time model). */
function calibrateHeaderSigning(key: SigningKey, chain: ChainSetup): number {
  const domain = acquisitionDomain(chain.chainId, chain.contracts.DataAcquisition);
  const header: BatchHeader = {
    dataType: 1,
    terminalId: `0x${"11".repeat(32)}`,
    sequence: 1n,
    windowStart: 0n,
    windowEnd: 900n,
    recordCount: 1,
    merkleRoot: `0x${"22".repeat(32)}`,
    prevHeaderHash: `0x${"00".repeat(32)}`,
  };
  const n = 20;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) signDigest(key, headerDigest(domain, { ...header, sequence: BigInt(i + 1) }));
  return (performance.now() - t0) / n;
}

/** The period's batch trees: per batch type, the accepted records of that kind (indices into `records`). */
export function buildBatchTrees(records: readonly CheckedRecord[]) {
  return BATCH_TYPES.flatMap((type) => {
    const members = records.flatMap((r, i) => (r.accepted && r.row.kind === type.kind ? [i] : []));
    if (members.length === 0) return [];
    const hashes = new Uint8Array(32 * members.length);
    members.forEach((i, j) => hashes.set(records[i].leafHash, 32 * j));
    const tree = FastMerkleTree.fromLeafHashes(
      hashes,
      members.map((i) => records[i].leaf),
      LEAF_TYPES,
    );
    return [{ type, members, tree }];
  });
}

/** A record's fate after the door checks and validation. */
export interface CheckedRecord {
  row: Omit<JournalRecord, "batchKey">;
  leaf: RecordLeaf;
  leafHash: Uint8Array;
  accepted: boolean;
}

/** Door checks (registry, signature, window, replay), then content checks (SVR validator, transaction rules). */
export function checkPeriod(
  packages: readonly GeneratedPackage[],
  ingestCtx: Parameters<typeof ingestPackage>[1],
  validator: StreamingValidator,
  directory: TerminalDirectory,
  period: number,
): CheckedRecord[] {
  const out: CheckedRecord[] = [];
  const ids = new Map<string, number>();
  for (const g of packages) {
    const verdicts = ingestPackage(g.pkg, ingestCtx);
    g.items.forEach((item, i) => {
      const r = item.record;
      const baseId = String((r.payload as { recordId: string }).recordId);
      const occurrence = (ids.get(baseId) ?? 0) + 1;
      ids.set(baseId, occurrence);
      const v = verdicts[i];
      let reason: string | null = v.ok ? null : v.reason;
      let detail: string | null = v.ok ? null : v.detail;
      let actualNorm: number | null = null;
      let forecastNorm: number | null = null;
      if (v.ok && r.kind === 1 && item.reading) {
        const value = Number((r.payload as { value: number }).value) / item.reading.scale;
        const check = validator.check({
          timestamp: item.reading.dataTimeMs,
          value,
          source: r.terminalId,
          noise: item.reading.noise,
        });
        actualNorm = value;
        forecastNorm = Number.isFinite(check.forecast) ? check.forecast : null;
        if (!check.ok) {
          reason = check.reason ?? "VALIDATION_FAILED";
          detail = `reading ${(r.payload as { value: number }).value} MW is ${value.toFixed(0)} MW in load-series terms, forecast ${check.forecast.toFixed(0)} MW`;
        }
      } else if (v.ok && r.kind === 2) {
        const problem = checkTransaction(r, directory, ingestCtx.windowStart);
        if (problem) ({ reason, detail } = problem);
      }
      out.push({
        row: {
          recordId: occurrence === 1 ? baseId : `${baseId}~copy${occurrence}`,
          period,
          terminalId: r.terminalId,
          label: g.label,
          kind: r.kind,
          timestamp: r.timestamp,
          leafHash: v.leafHash,
          status: reason === null ? "pending" : "quarantined",
          reason,
          detail,
          payload: JSON.stringify(r.payload),
          actualNorm,
          forecastNorm,
          fault: item.fault ?? null,
        },
        leaf: g.pkg.leaves[i],
        leafHash: g.pkg.leafHashes.subarray(32 * i, 32 * i + 32),
        accepted: reason === null,
      });
    });
  }
  return out;
}

/** Builds the period's trees, runs the network model and stores everything in one journal transaction. */
function storePeriod(
  journal: Journal,
  period: number,
  records: CheckedRecord[],
  chain: ChainSetup,
  terminals: readonly ScenarioTerminal[],
  loaded: ReturnType<typeof loadCase>,
  opts: RunOptions,
  loadFactor: number,
  signMs: number,
): void {
  const batches: Omit<JournalBatch, "updatedAt">[] = [];
  const rows: JournalRecord[] = records.map((r) => ({ ...r.row, batchKey: null }));
  const t0 = performance.now();
  for (const { type: t, members, tree } of buildBatchTrees(records)) {
    const batchKey = batchKeyOf(period, t.suffix);
    for (const i of members) rows[i].batchKey = batchKey;
    batches.push({
      batchKey,
      period,
      dataType: chain.dataTypes[t.suffix],
      root: tree.root,
      recordCount: members.length,
      generatorBus: -1,
      terminalId: "",
      state: "built",
      header: null,
      signature: null,
      txHash: null,
      nonce: null,
      blockNumber: null,
      batchId: null,
      gasUsed: null,
    });
  }
  const tBuildMs = performance.now() - t0 + signMs;

  const background = { seed: opts.seed, min: opts.backgroundMin * loadFactor, max: opts.backgroundMax * loadFactor };
  const net = buildNetwork(loaded.name, loaded.grid, { background });
  const sources = terminals.filter((t) => t.source).map((t) => t.source!);
  const routing = routePeriod(net, sources, { tBuildMs });
  const generatorBus = routing.algorithms["QT-DR"]?.generator;
  if (generatorBus === undefined) throw new Error(`period ${period}: QT-DR elected no generator`);
  const generator = terminals.find((t) => t.role === "node" && t.bus === generatorBus);
  if (!generator) throw new Error(`period ${period}: no terminal at the elected generator bus ${generatorBus}`);
  for (const b of batches) {
    b.generatorBus = generatorBus;
    b.terminalId = generator.terminalId;
  }
  journal.recordPeriod(
    { period, state: "validated", generatorBus, routing: JSON.stringify(compactRouting(routing)), tBuildMs },
    rows,
    batches,
  );
}

/** What the report needs of a period's routing (the full report per period is large). */
function compactRouting(routing: ReturnType<typeof routePeriod>) {
  const algorithms: Record<string, unknown> = {};
  for (const [name, r] of Object.entries(routing.algorithms)) {
    if (!r) continue;
    algorithms[name] = {
      generator: r.generator,
      blockTimeMs: r.blockTimeMs,
      lbNet: r.lbNet,
      lbUsed: r.lbUsed,
      maxUtil: r.maxUtil,
      meanUtil: r.meanUtil,
      deadlineViolations: r.deadlineViolations,
      links: r.links.map((l) => [l.from, l.to, Math.round(l.util * 1e4) / 1e4]),
    };
  }
  return { algorithms };
}

/** Anchors a period's built batches: sign (generator key), submit (one transaction), confirm; each step journaled. */
async function anchorPeriod(
  journal: Journal,
  period: number,
  chain: ChainSetup,
  terminals: readonly ScenarioTerminal[],
  deps: RunDeps,
  opts: RunOptions,
  tips: Map<string, StreamState>,
  log: (line: string) => void,
): Promise<void> {
  const windowStart = chain.chainStart + period * opts.periodSeconds;
  const windowEnd = windowStart + opts.periodSeconds;
  let batches = journal.batches({ period }).filter((b) => b.state !== "confirmed");
  const domain = acquisitionDomain(chain.chainId, chain.contracts.DataAcquisition);
  for (const b of batches) {
    if (b.state !== "built") continue;
    const generator = terminals.find((t) => t.terminalId === b.terminalId)!;
    const tip =
      tips.get(b.terminalId) ??
      (await callWithRetry(
        `read the stream tip of ${generator.label}`,
        () => readStreamState(chain.core.acquisition, b.terminalId),
        { ...opts.send, log },
      ));
    const header: BatchHeader = {
      dataType: b.dataType,
      terminalId: b.terminalId,
      sequence: tip.sequence + 1n,
      windowStart: BigInt(windowStart),
      windowEnd: BigInt(windowEnd),
      recordCount: b.recordCount,
      merkleRoot: b.root,
      prevHeaderHash: tip.headerHash,
    };
    const signature = signDigest(devTerminalWallet(generator.terminalId).signingKey, headerDigest(domain, header));
    tips.set(b.terminalId, { sequence: header.sequence, headerHash: hashHeader(header) });
    journal.updateBatch(
      b.batchKey,
      "signed",
      { header: headerJson(header), signature },
      `sequence ${header.sequence} by ${generator.label}`,
    );
  }
  batches = journal.batches({ period }).filter((b) => b.state !== "confirmed");
  if (batches.length > 0) {
    const iface = chain.core.acquisition.interface;
    const calls = batches.map((b) => iface.encodeFunctionData("anchorBatch", [parseHeader(b.header!), b.signature!]));
    const data = calls.length === 1 ? calls[0] : iface.encodeFunctionData("multicall", [calls]);
    const context = `anchor period ${period} (${batches.map((b) => b.batchKey).join(", ")})`;
    if (chain.mode === "warp")
      await callWithRetry(context, () => setNextBlockTime(deps.provider, windowEnd + 2), { ...opts.send, log });
    const receipt = await sendWithRetry(
      deps.signer,
      { to: chain.contracts.DataAcquisition, data },
      context,
      (txHash, nonce) => {
        for (const b of batches) journal.updateBatch(b.batchKey, "submitted", { txHash, nonce }, `tx ${txHash}`);
      },
      { ...opts.send, log, confirmations: chain.mode === "warp" ? 1 : opts.confirmations },
    );
    if (opts.confirmations > 1) {
      if (chain.mode === "warp")
        await callWithRetry(context, () => mineBlocks(deps.provider, opts.confirmations - 1), { ...opts.send, log });
      // On other nodes sendWithRetry already waited for the confirmations.
    }
    const anchored = new Map<string, bigint>();
    for (const log_ of receipt.logs) {
      const parsed = chain.core.acquisition.interface.parseLog(log_);
      if (parsed?.name === "BatchAnchored")
        anchored.set((parsed.args.merkleRoot as string).toLowerCase(), parsed.args.batchId as bigint);
    }
    const gasEach = Math.round(Number(receipt.gasUsed) / batches.length);
    for (const b of batches) {
      const batchId = anchored.get(b.root.toLowerCase());
      if (batchId === undefined)
        throw new Error(`${context}: transaction ${receipt.hash} has no BatchAnchored event for ${b.batchKey}`);
      journal.updateBatch(
        b.batchKey,
        "confirmed",
        { txHash: receipt.hash, blockNumber: receipt.blockNumber, batchId: Number(batchId), gasUsed: gasEach },
        `batch ${batchId}, block ${receipt.blockNumber}`,
      );
    }
  }
  writePeriodProofs(journal, period, chain);
  journal.completePeriod(period);
}

function headerJson(h: BatchHeader): string {
  return JSON.stringify(h, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

function parseHeader(text: string): BatchHeader {
  const h = JSON.parse(text) as Record<string, string | number>;
  return {
    dataType: Number(h.dataType),
    terminalId: String(h.terminalId),
    sequence: BigInt(h.sequence),
    windowStart: BigInt(h.windowStart),
    windowEnd: BigInt(h.windowEnd),
    recordCount: Number(h.recordCount),
    merkleRoot: String(h.merkleRoot),
    prevHeaderHash: String(h.prevHeaderHash),
  };
}

/** The proofs of every record of the period's confirmed batches, rebuilt from the journal. */
function writePeriodProofs(journal: Journal, period: number, chain: ChainSetup): void {
  for (const b of journal.batches({ period, state: "confirmed" })) {
    const records: GridRecord[] = journal
      .records({ batchKey: b.batchKey })
      .map((r) =>
        parseRecord(
          { terminalId: r.terminalId, kind: r.kind, timestamp: r.timestamp, payload: JSON.parse(r.payload) },
          r.recordId,
        ),
      );
    const tree = FastMerkleTree.ofRecords(records);
    if (tree.root !== b.root.toLowerCase())
      throw new Error(`${b.batchKey}: journal records rebuild root ${tree.root}, not ${b.root}`);
    const batch = {
      batchId: b.batchId!,
      blockNumber: b.blockNumber!,
      chainId: Number(chain.chainId),
      contract: chain.contracts.DataAcquisition as `0x${string}`,
      txHash: b.txHash! as `0x${string}`,
    };
    writeBatchProofs(join(journalDir(journal), "proofs", `${b.batchKey}.json`), buildBatchProofs(tree, records, batch));
  }
}

function journalDir(journal: Journal): string {
  return join(journal.path, "..");
}

/**
 * Before continuing a run: every batch the journal has signed, submitted or confirmed is checked against the
 * chain. Mined ones are confirmed (nothing is sent again); ones the chain does not have (a lost transaction, or
 * a node restarted from older state) go back to "built" and are signed again on the current stream tip.
 */
async function reconcile(journal: Journal, chain: ChainSetup, log: (line: string) => void): Promise<void> {
  for (const b of journal.batches()) {
    if (b.state === "built") continue;
    const onChain = await chain.core.acquisition.batchByRoot(b.root);
    if (onChain.anchoredAt !== 0n) {
      if (b.state !== "confirmed") {
        const [event] = await listBatches(chain.core.acquisition, { merkleRoot: b.root });
        journal.updateBatch(
          b.batchKey,
          "confirmed",
          {
            txHash: event?.txHash ?? b.txHash,
            blockNumber: Number(onChain.blockNumber),
            batchId: Number(onChain.batchId),
          },
          "found on-chain on resume",
        );
        log(`${b.batchKey}: already mined as batch ${onChain.batchId}; nothing sent`);
      }
      continue;
    }
    if (b.state === "confirmed")
      log(
        `${b.batchKey}: journal says confirmed but the chain has no such root (node state lost?); anchoring it again`,
      );
    journal.updateBatch(b.batchKey, "built", {}, `not on-chain at resume (was ${b.state})`);
  }
  for (const p of journal.periods()) {
    if (p.state === "done" && journal.batches({ period: p.period }).some((b) => b.state !== "confirmed"))
      journal.reopenPeriod(p.period);
  }
}
