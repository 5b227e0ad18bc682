import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getHeapStatistics } from "node:v8";
import { SigningKey, ZeroAddress, ZeroHash, type Signer } from "ethers";
import type { FastifyInstance } from "fastify";
import { devTerminalWallet } from "../chain/keys";
import { TerminalStatus } from "../chain/types";
import { loadCase } from "../grid/case";
import { initMerkle } from "../merkle";
import type { RpcProvider } from "../pipeline/clock";
import type { DirectoryEntry } from "../pipeline/ingest";
import type { CoreContracts } from "../chain/contracts";
import { multicallViews } from "../chain/multicallViews";
import { RUN_DEFAULTS, SEND_DEFAULTS } from "../pipeline/options";
import { scenarioProfiles } from "../pipeline/run";
import { scenarioTerminals } from "../pipeline/scenario";
import type { PipelineContext } from "../pipeline/stages/context";
import { electByRouting, type GridModel } from "../pipeline/stages/elect";
import { journaledZonePlan, zoneOfTerminal, type ZonePlan } from "../pipeline/stages/zones";
import { encodeGridId, setupChain } from "../pipeline/stages/setup";
import { headerSigningMs } from "../pipeline/stages/anchor";
import { parseLocalDate } from "../validation/clock";
import { prepare } from "../validation/run";
import { createValidateStage } from "../pipeline/stages/check";
import { RefitThread } from "../validation/refitThread";
import { GatewayCore, type GatewayPolicy } from "./core";
import { buildHttp } from "./http";
import { GatewayJournal } from "./inbox";
import { createMetrics } from "./metrics";
import { GATEWAY_DEFAULTS } from "./options";
import { ProofStore } from "./batchTrees";
import { DoorThread } from "./doorThread";
import { MerkleThread } from "./merkleThread";
import { CheckpointThread } from "./checkpointThread";
import {
  candidateZoneElection,
  checkZoneGenerators,
  type RegisteredTerminal,
  type ZoneGenerator,
} from "./zoneGenerators";
import type { CheckedRecord } from "../pipeline/stages/check";
import { connectExternalBroker, startEmbeddedBroker, type BrokerHandle } from "./mqtt";

/** How often the journal's WAL is checkpointed off the event loop (at 10,000 records/s a period writes tens of MB). */
const CHECKPOINT_EVERY_MS = 500;

export interface ServeOptions {
  dataDir: string;
  /** Both listeners bind here (loopback unless told otherwise). */
  host: string;
  httpPort: number;
  mqttPort: number;
  /** Subscribe through this external broker instead of embedding one. */
  mqttUrl?: string;
  mqttClientId: string;
  periodSeconds: number;
  graceSeconds: number;
  maxBacklogRecords: number;
  /** Seconds a terminal's registry entry is trusted before it is read again (suspensions, key rotations). */
  registryRefreshSeconds: number;
  /** The grid case whose terminals' sensors the validator knows and whose routing elects generators. */
  case: string;
  /** Data types (TY) of reading and transaction batches; their policies are time-driven at the period. */
  readingType: number;
  transactionType: number;
  /** How long after its window a batch may still be anchored (covers node outages). */
  toleranceSeconds: number;
  /** Deploy if needed, set the data types' policies and register the case's terminals with dev keys. */
  devSetup: boolean;
  /** A fixed generator terminal and its key, instead of routing election among dev-keyed node terminals. */
  generator?: { terminalId: string; privateKey: string };
  /** Zones each electing its own generator (a count or "auto"); absent: one generator for the grid. */
  zones?: number | "auto";
  /**
   * With `zones`: each zone's configured generator terminal and its loaded key (--zone-generators), checked
   * against the zone plan and the registry at start; absent: each zone elects among dev-keyed node terminals.
   */
  zoneGenerators?: { file: string; generators: ZoneGenerator[] };
  /** Refuse zones without `zoneGenerators` (a production chain: nobody holds the dev keys), once the plan is written. */
  requireZoneGenerators?: boolean;
  loadFile: string;
  trainFrom: string;
  trainTo: string;
  confirmations: number;
  drainMs: number;
  /** pino logging for fastify (false in tests). */
  logger: boolean | object;
}

export interface ServeDeps {
  signer: Signer;
  provider: RpcProvider;
  network: string;
  log: (line: string) => void;
  now?: () => number;
}

export interface GatewayHandle {
  core: GatewayCore;
  http: FastifyInstance;
  httpUrl: string;
  broker: BrokerHandle;
  journal: GatewayJournal;
  /** Stops intake, journals what is pending, waits up to drainMs for anchoring, closes everything. */
  close: () => Promise<void>;
}

/** The options a journal was started with that a restart must keep (they shape periods and batches). */
type Fixed = Pick<ServeOptions, "periodSeconds" | "readingType" | "transactionType" | "case">;

/** What the checks read for a terminal that is not registered (the registry's getTerminal reverts for it). */
const UNREGISTERED: RegisteredTerminal = {
  signer: ZeroAddress,
  status: TerminalStatus.Unregistered,
  location: { gridId: ZeroHash, bus: 0 },
};

/**
 * The registry entries of `terminalIds` in a few packed reads, undefined where a terminal is not registered: the
 * registry's getTerminal reverts for one, and would take the whole packed read with it (off a development chain
 * the case's terminals are whichever the operator registered).
 */
async function registeredTerminals(registry: CoreContracts["registry"], terminalIds: readonly string[]) {
  const states = await multicallViews(
    registry,
    "signerAndStatus",
    terminalIds.map((id) => [id]),
  );
  const registered = terminalIds.filter((_, i) => Number(states[i][1]) !== TerminalStatus.Unregistered);
  const entries = await multicallViews(
    registry,
    "getTerminal",
    registered.map((id) => [id]),
  );
  const byId = new Map(
    registered.map((id, i) => [id, entries[i][0] as Awaited<ReturnType<typeof registry.getTerminal>>]),
  );
  return terminalIds.map((id) => byId.get(id));
}

/**
 * A period's load as a fraction of the load series' peak: the mean of its accepted readings (system-load MW), as
 * `grid:run` routes each period at its load; 1 (the peak) when the period has no reading.
 */
export function periodLoadFactor(records: readonly CheckedRecord[], peakLoad: number): number {
  let sum = 0;
  let n = 0;
  for (const r of records)
    if (r.accepted && r.row.kind === 1 && r.row.actualNorm !== null) {
      sum += r.row.actualNorm;
      n++;
    }
  return n > 0 && peakLoad > 0 ? sum / n / peakLoad : 1;
}

/** Writes the zone plan where an operator finds it to name each zone's generator (--zone-generators). */
function writeZonePlan(dataDir: string, grid: GridModel, plan: ZonePlan): void {
  const nodes = grid.terminals.filter((t) => t.role === "node");
  const zones = Array.from({ length: plan.k }, (_, zone) => {
    const buses = plan.buses.filter((_, i) => plan.busZone[i] === zone);
    const inZone = new Set(buses);
    const nodeTerminals = nodes.filter((t) => inZone.has(t.bus)).map((t) => ({ bus: t.bus, terminalId: t.terminalId }));
    return { zone, buses, nodeTerminals };
  });
  const out = { case: grid.loaded.name, requested: plan.requested, k: plan.k, zones };
  writeFileSync(join(dataDir, "zone-plan.json"), JSON.stringify(out, null, 1) + "\n");
}

/** Election by routing among dev-keyed node terminals (one zone or several), at the period's measured load. */
export function routingElection(grid: GridModel, loadFactorOf: (records: readonly CheckedRecord[]) => number) {
  return (period: number, tBuildMs: number, records: readonly CheckedRecord[]) =>
    electByRouting(grid, period, loadFactorOf(records), tBuildMs);
}

/**
 * The gateway's generator election and the keys that sign: a fixed generator, one configured generator per
 * zone (both with operator keys), or routing election (one zone or several) among dev-keyed node terminals.
 */
async function gatewayElection(
  opts: ServeOptions,
  journal: GatewayJournal,
  grid: GridModel,
  registry: CoreContracts["registry"],
  loadFactorOf: (records: readonly CheckedRecord[]) => number,
  log: (line: string) => void,
) {
  if (opts.generator && opts.zones !== undefined)
    throw new Error(
      "grid:serve: --zones elects a generator per zone; it cannot be combined with --generator (name each zone's generator with --zone-generators)",
    );
  if (opts.zoneGenerators && opts.zones === undefined)
    throw new Error(
      `grid:serve: --zone-generators ${opts.zoneGenerators.file} names each zone's generator: give --zones too (auto, or the count the file was written for)`,
    );
  const devKey = (terminalId: string) => devTerminalWallet(terminalId).signingKey;
  const sampleKey = devKey(grid.terminals[0].terminalId);
  if (opts.generator) {
    const terminalId = opts.generator.terminalId.toLowerCase();
    const key = new SigningKey(opts.generator.privateKey);
    return { elect: () => ({ generatorBus: -1, terminalId, routing: "{}" }), keyOf: () => key, sampleKey: key };
  }
  if (opts.zones === undefined)
    return {
      elect: routingElection(grid, loadFactorOf),
      keyOf: devKey,
      sampleKey,
    };
  const plan = journaledZonePlan(journal, grid, opts.zones);
  grid.zones = plan;
  writeZonePlan(opts.dataDir, grid, plan);
  const zoneOf = zoneOfTerminal(grid, plan);
  const planFile = join(opts.dataDir, "zone-plan.json");
  if (!opts.zoneGenerators && opts.requireZoneGenerators)
    throw new Error(
      `grid:serve: not a development chain: --zones needs --zone-generators <file.json> naming a registered generator terminal of each of the ${plan.k} zones and where its key is; the zone plan is in ${planFile} (docs/gateway.md)`,
    );
  if (!opts.zoneGenerators)
    return {
      elect: routingElection(grid, loadFactorOf),
      zoneOf,
      keyOf: devKey,
      sampleKey,
    };
  const { file, generators } = opts.zoneGenerators;
  const gridId = encodeGridId(grid.loaded.name);
  const readTerminals = async (ids: readonly string[]) =>
    (await registeredTerminals(registry, ids)).map((t) => (t ?? UNREGISTERED) as RegisteredTerminal);
  const reader = { getAddress: () => registry.getAddress(), readTerminals };
  const checked = await checkZoneGenerators(generators, plan, reader, gridId, file, log).catch((e: Error) => {
    throw new Error(`${e.message}\n(the zone plan is in ${planFile})`, { cause: e });
  });
  const keys = new Map(generators.map((g) => [g.terminalId, g.key]));
  const keyOf = (terminalId: string) => {
    const key = keys.get(terminalId.toLowerCase());
    if (!key) throw new Error(`no configured generator key for terminal ${terminalId} (--zone-generators ${file})`);
    return key;
  };
  // Every loaded candidate takes part: one skipped at start (suspended, say) is elected again once it is usable.
  const elect = candidateZoneElection(generators, {
    model: grid,
    plan,
    gridId,
    registryAddress: await registry.getAddress(),
    readTerminals,
    log,
  });
  return {
    elect: (period: number, tBuildMs: number, records: readonly CheckedRecord[]) =>
      elect(period, tBuildMs, loadFactorOf(records)),
    zoneOf,
    keyOf,
    sampleKey: checked[0].key,
  };
}

/** Starts the acquisition gateway: journal, chain, validator, pipeline core, HTTP API and MQTT. */
export async function startGateway(opts: ServeOptions, deps: ServeDeps): Promise<GatewayHandle> {
  const { log } = deps;
  if (!(Number.isInteger(opts.confirmations) && opts.confirmations >= 1 && opts.confirmations <= 64))
    throw new Error(`grid:serve option --confirmations: a whole number of blocks 1-64, got ${opts.confirmations}`);
  mkdirSync(join(opts.dataDir, "proofs"), { recursive: true });
  const journal = new GatewayJournal(join(opts.dataDir, "journal.sqlite"));
  let refits: RefitThread | undefined;
  let door: DoorThread | undefined;
  let checkpoints: CheckpointThread | undefined;
  try {
    const fixed: Fixed = {
      periodSeconds: opts.periodSeconds,
      readingType: opts.readingType,
      transactionType: opts.transactionType,
      case: opts.case,
    };
    const saved = journal.getMeta<Fixed>("gateway");
    if (saved) {
      const changed = (Object.keys(fixed) as (keyof Fixed)[]).filter((k) => saved[k] !== fixed[k]);
      if (changed.length > 0)
        throw new Error(
          `${journal.path} was started with ${changed.map((k) => `${k} ${saved[k]}`).join(", ")}; now ${changed
            .map((k) => `${k} ${fixed[k]}`)
            .join(", ")}: keep them, or use another --data-dir`,
        );
    } else journal.setMeta("gateway", fixed);

    await initMerkle();
    const loaded = loadCase({ case: opts.case });
    const terminals = scenarioTerminals(loaded.name, loaded.grid);
    const chain = await setupChain({ ...deps, log }, journal, {
      caseName: loaded.name,
      register: opts.devSetup ? terminals : [],
      periodSeconds: opts.periodSeconds,
      clock: {
        kind: "live",
        dataTypes: { readings: opts.readingType, transactions: opts.transactionType },
        tolerance: opts.toleranceSeconds,
      },
    });
    const labels = new Map(terminals.map((t) => [t.terminalId.toLowerCase(), t.label]));
    type Registered = Awaited<ReturnType<typeof chain.core.registry.getTerminal>>;
    type Epochs = Awaited<ReturnType<typeof chain.core.registry.signerHistory>>;
    const toEntry = (terminalId: string, t: Registered, epochs: Epochs): DirectoryEntry | undefined => {
      if (Number(t.status) === TerminalStatus.Unregistered) return undefined;
      return {
        label: labels.get(terminalId.toLowerCase()) ?? (t.metadataURI || terminalId),
        signer: t.signer,
        active: Number(t.status) === TerminalStatus.Active,
        epochs: epochs.map((e) => ({
          signer: e.signer,
          validFrom: Number(e.validFrom),
          validUntil: Number(e.validUntil),
        })),
      };
    };
    const lookupTerminal = async (terminalId: string): Promise<DirectoryEntry | undefined> =>
      toEntry(
        terminalId,
        await chain.core.registry.getTerminal(terminalId),
        await chain.core.registry.signerHistory(terminalId),
      );
    // The case's terminals in a few packed reads (a round trip per terminal took a minute on 2,383 buses).
    const entries = await registeredTerminals(
      chain.core.registry,
      terminals.map((t) => t.terminalId),
    );
    const known = terminals.flatMap((t, i) => {
      const entry = entries[i] as Registered | undefined;
      return entry ? [{ terminalId: t.terminalId, entry }] : [];
    });
    const histories = await multicallViews(
      chain.core.registry,
      "signerHistory",
      known.map((k) => [k.terminalId]),
    );
    const directory = new Map<string, DirectoryEntry>();
    for (const [i, { terminalId, entry }] of known.entries())
      directory.set(terminalId.toLowerCase(), toEntry(terminalId, entry, histories[i][0] as Epochs)!);

    const modelPath = join(opts.dataDir, "validator-model.json");
    const prepared = await prepare({
      data: opts.loadFile,
      trainFrom: opts.trainFrom,
      trainTo: opts.trainTo,
      modelIn: existsSync(modelPath) ? modelPath : undefined,
      modelOut: existsSync(modelPath) ? undefined : modelPath,
      preset: "fast",
      // The peer figures were measured with this calibration; nothing is tuned on this split.
      calibration: "validation",
      log,
    });
    // Live readings go through the pipeline's validate stage: lags from the validated readings after the
    // training range (the file before it), peer check over the case's neighbourhoods, weekly refit. The refit's
    // fits run on a worker thread: seconds of CPU that would otherwise hold every acknowledgement.
    refits = new RefitThread();
    const stage = createValidateStage({
      model: prepared.model,
      series: prepared.series,
      startMs: parseLocalDate(opts.trainTo, prepared.clock, true) + 1,
      grid: loaded.grid,
      terminals,
      refitRunner: refits.run,
    });
    const loadMean = prepared.series.load.reduce((a, b) => a + b, 0) / prepared.series.load.length;
    const profiles = scenarioProfiles(terminals, loadMean, {
      source: RUN_DEFAULTS.sourceNoise,
      meter: RUN_DEFAULTS.meterNoise,
    });

    const grid: GridModel = {
      loaded,
      terminals,
      seed: 1,
      backgroundMin: RUN_DEFAULTS.backgroundMin,
      backgroundMax: RUN_DEFAULTS.backgroundMax,
    };
    const peakLoad = Math.max(...prepared.series.load);
    const { elect, zoneOf, keyOf, sampleKey } = await gatewayElection(
      opts,
      journal,
      grid,
      chain.core.registry,
      (records) => periodLoadFactor(records, peakLoad),
      log,
    );
    const signMs = headerSigningMs(sampleKey, chain);

    const ctx: PipelineContext & { journal: GatewayJournal } = {
      journal,
      chain,
      signer: deps.signer,
      provider: deps.provider,
      periodSeconds: opts.periodSeconds,
      confirmations: opts.confirmations,
      send: { ...SEND_DEFAULTS, attempts: 3, receiptTimeoutMs: 30_000 },
      log,
      directory,
      keyOf,
      labelOf: (id) => labels.get(id.toLowerCase()) ?? id,
      tips: new Map(),
      proofsDir: join(opts.dataDir, "proofs"),
      zoneOf,
    };
    const merkle = new MerkleThread({ proofsDir: ctx.proofsDir });
    checkpoints = new CheckpointThread(journal, CHECKPOINT_EVERY_MS, log);
    checkpoints.start();
    door = new DoorThread(chain.chainId);
    const metrics = createMetrics();
    const policy: GatewayPolicy = {
      ...GATEWAY_DEFAULTS,
      periodSeconds: opts.periodSeconds,
      graceSeconds: opts.graceSeconds,
      maxBacklogRecords: opts.maxBacklogRecords,
      registryRefreshSeconds: opts.registryRefreshSeconds,
    };
    const core = new GatewayCore({
      ctx,
      stage,
      profiles,
      elect,
      signMs,
      lookupTerminal,
      policy,
      now: deps.now,
      events: metrics.events,
      merkle,
      door,
    });
    const threadsReady = Promise.all([door.ready(), merkle.ready()]);
    // A failed start must not leave the threads waiting (they would keep the process alive).
    threadsReady.catch(() => undefined);
    await core.start();
    await threadsReady;

    const broker = opts.mqttUrl
      ? await connectExternalBroker(core, opts.mqttUrl, opts.mqttClientId, log)
      : await startEmbeddedBroker(core, opts.host, opts.mqttPort, log);
    const http = await buildHttp({
      core,
      journal,
      contracts: chain.core,
      proofs: new ProofStore(journal, ctx.proofsDir, chain),
      metrics,
      broker: () => ({ mode: broker.mode, up: broker.up(), url: broker.url }),
      logger: opts.logger,
    });
    const httpUrl = await http.listen({ host: opts.host, port: opts.httpPort });
    log(`gateway: HTTP ${httpUrl}, MQTT ${broker.url} (${broker.mode}), journal ${journal.path}`);
    const heapNote = heapLimitNote(getHeapStatistics().heap_size_limit / 2 ** 20);
    if (heapNote) log(heapNote);
    let closed = false;
    return {
      core,
      http,
      httpUrl,
      broker,
      journal,
      close: async () => {
        if (closed) return;
        closed = true;
        await core.drain(opts.drainMs);
        await broker.close();
        await http.close();
        await merkle.close();
        await checkpoints?.close();
        await door?.close();
        await refits?.close();
        journal.close();
      },
    };
  } catch (e) {
    await checkpoints?.close();
    await door?.close();
    await refits?.close();
    journal.close();
    throw e;
  }
}

/** V8 heap limits up to this keep the gateway's RSS flat (measured at 512 MB under the bench's full load). */
const FLAT_RSS_HEAP_MB = 1024;

/**
 * What to tell an operator whose gateway runs with V8's default heap limit (undefined when it is capped): RSS then
 * follows the collector's sawtooth instead of staying flat.
 */
export function heapLimitNote(heapLimitMb: number): string | undefined {
  if (heapLimitMb <= FLAT_RSS_HEAP_MB) return undefined;
  return (
    `gateway: the V8 heap may grow to ${Math.round(heapLimitMb)} MB, so RSS follows the collector's sawtooth ` +
    `(about 1.1-1.3 GB at 10,000 records/s); NODE_OPTIONS=--max-old-space-size=512 keeps it flat ` +
    `(docs/gateway.md, "Production")`
  );
}
