import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { SigningKey, type Signer } from "ethers";
import type { FastifyInstance } from "fastify";
import { devTerminalWallet } from "../chain/keys";
import { TerminalStatus } from "../chain/types";
import { loadCase } from "../grid/case";
import { initMerkle } from "../merkle";
import type { RpcProvider } from "../pipeline/clock";
import type { DirectoryEntry } from "../pipeline/ingest";
import { RUN_DEFAULTS, SEND_DEFAULTS } from "../pipeline/options";
import { scenarioProfiles } from "../pipeline/run";
import { scenarioTerminals } from "../pipeline/scenario";
import type { PipelineContext } from "../pipeline/stages/context";
import { electByRouting, type GridModel } from "../pipeline/stages/elect";
import { journaledZonePlan, zoneOfTerminal } from "../pipeline/stages/zones";
import { setupChain } from "../pipeline/stages/setup";
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
import { connectExternalBroker, startEmbeddedBroker, type BrokerHandle } from "./mqtt";

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

/** The gateway's generator election: the configured generator, or routing (one zone or several) on dev keys. */
function gatewayElection(opts: ServeOptions, journal: GatewayJournal, grid: GridModel) {
  if (opts.generator && opts.zones !== undefined)
    throw new Error("grid:serve: --zones elects a generator per zone; it cannot be combined with --generator");
  if (opts.generator) {
    const terminalId = opts.generator.terminalId.toLowerCase();
    return { elect: () => ({ generatorBus: -1, terminalId, routing: "{}" }), zoneOf: undefined };
  }
  if (opts.zones !== undefined) grid.zones = journaledZonePlan(journal, grid, opts.zones);
  return {
    elect: (period: number, tBuildMs: number) => electByRouting(grid, period, 1, tBuildMs),
    zoneOf: grid.zones ? zoneOfTerminal(grid, grid.zones) : undefined,
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
    const lookupTerminal = async (terminalId: string): Promise<DirectoryEntry | undefined> => {
      const t = await chain.core.registry.getTerminal(terminalId);
      if (Number(t.status) === TerminalStatus.Unregistered) return undefined;
      const epochs = await chain.core.registry.signerHistory(terminalId);
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
    const directory = new Map<string, DirectoryEntry>();
    for (const t of terminals) {
      const entry = await lookupTerminal(t.terminalId);
      if (entry) directory.set(t.terminalId.toLowerCase(), entry);
    }

    const modelPath = join(opts.dataDir, "validator-model.json");
    const prepared = await prepare({
      data: opts.loadFile,
      trainFrom: opts.trainFrom,
      trainTo: opts.trainTo,
      modelIn: existsSync(modelPath) ? modelPath : undefined,
      modelOut: existsSync(modelPath) ? undefined : modelPath,
      preset: "fast",
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

    const generatorKey = opts.generator ? new SigningKey(opts.generator.privateKey) : undefined;
    const keyOf = (terminalId: string) => generatorKey ?? devTerminalWallet(terminalId).signingKey;
    const grid: GridModel = {
      loaded,
      terminals,
      seed: 1,
      backgroundMin: RUN_DEFAULTS.backgroundMin,
      backgroundMax: RUN_DEFAULTS.backgroundMax,
    };
    const { elect, zoneOf } = gatewayElection(opts, journal, grid);
    const signMs = headerSigningMs(keyOf(terminals[0].terminalId), chain);

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
    const doorReady = door.ready();
    // A failed start must not leave the thread waiting (it would keep the process alive).
    doorReady.catch(() => undefined);
    await core.start();
    await doorReady;

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
        await door?.close();
        await refits?.close();
        journal.close();
      },
    };
  } catch (e) {
    await door?.close();
    await refits?.close();
    journal.close();
    throw e;
  }
}
