import { types, vars } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { SERVE_DEFAULTS } from "../../src/gateway/options";
import { relayer } from "../common/endpoints";
import { load } from "../common/lazy";
import type { ZoneGenerator } from "../../src/gateway/zoneGenerators";

export interface ServeTaskOptions {
  dataDir: string;
  host: string;
  httpPort: number;
  mqttPort: number;
  mqttUrl?: string;
  mqttClientId: string;
  period: number;
  grace: number;
  maxBacklog: number;
  registryRefresh: number;
  case: string;
  readingType: number;
  transactionType: number;
  tolerance: number;
  generator?: string;
  /** "auto" or a count: zones each electing its own generator (not with --generator). */
  zones?: string;
  /** JSON naming each zone's generator terminal and where its key is (production zones). */
  zoneGenerators?: string;
  noDevSetup: boolean;
  drainMs: number;
  confirmations: number;
  quiet: boolean;
}

/** Development chains (Hardhat, anvil) where the gateway may deploy, set policies and register dev terminals. */
const DEV_CHAIN_IDS = new Set([31337n]);

/** Runs the gateway until SIGTERM or SIGINT, then drains within --drain-ms. */
export async function serveGateway(hre: HardhatRuntimeEnvironment, args: ServeTaskOptions) {
  await hre.run("compile", { quiet: true });
  const { startGateway } = load.gateway.server();
  const pino = load.packages.pino();
  const logger = pino.pino({ level: args.quiet ? "warn" : "info" });
  const { signer, provider } = await relayer(hre, (line) => logger.warn(line));
  const chainId = (await provider.getNetwork()).chainId;
  let generator: { terminalId: string; privateKey: string } | undefined;
  let zoneGenerators: { file: string; generators: ZoneGenerator[] } | undefined;
  if (args.generator && args.zoneGenerators)
    throw new Error(
      "grid:serve: --generator names one generator for the grid, --zone-generators one per zone: give one",
    );
  if (args.generator) {
    if (!vars.has("GRID_GENERATOR_KEY"))
      throw new Error("--generator needs the generator terminal's key: npx hardhat vars set GRID_GENERATOR_KEY");
    generator = { terminalId: args.generator, privateKey: vars.get("GRID_GENERATOR_KEY") };
  } else if (args.zoneGenerators) {
    const { readZoneGenerators, loadZoneGenerators } = load.gateway.zoneGenerators();
    const file = args.zoneGenerators;
    zoneGenerators = {
      file,
      generators: loadZoneGenerators(readZoneGenerators(file), file, {
        var: (name) => (vars.has(name) ? vars.get(name) : undefined),
        env: (name) => process.env[name],
      }),
    };
  } else if (!DEV_CHAIN_IDS.has(chainId) && args.zones === undefined) {
    throw new Error(
      `chain ${chainId} is not a development chain: give --generator <terminal id> and set its key with npx hardhat vars set GRID_GENERATOR_KEY`,
    );
  }
  const handle = await startGateway(
    {
      dataDir: args.dataDir,
      host: args.host,
      httpPort: args.httpPort,
      mqttPort: args.mqttPort,
      mqttUrl: args.mqttUrl,
      mqttClientId: args.mqttClientId,
      periodSeconds: args.period,
      graceSeconds: args.grace,
      maxBacklogRecords: args.maxBacklog,
      registryRefreshSeconds: args.registryRefresh,
      case: args.case,
      readingType: args.readingType,
      transactionType: args.transactionType,
      toleranceSeconds: args.tolerance,
      devSetup: !args.noDevSetup && DEV_CHAIN_IDS.has(chainId),
      generator,
      zoneGenerators,
      // Off development chains nobody holds the dev keys: zones start only with their configured generators.
      requireZoneGenerators: !DEV_CHAIN_IDS.has(chainId),
      zones: args.zones === undefined ? undefined : load.routing.zones().parseZoneCount(args.zones),
      loadFile: SERVE_DEFAULTS.loadFile,
      trainFrom: SERVE_DEFAULTS.trainFrom,
      trainTo: SERVE_DEFAULTS.trainTo,
      confirmations: args.confirmations,
      drainMs: args.drainMs,
      logger: args.quiet ? false : { level: "warn" },
    },
    {
      signer,
      provider,
      network: hre.network.name,
      log: (line) => logger.info(line),
    },
  );
  // One line a supervisor (or a test) can wait for.
  console.log(JSON.stringify({ event: "listening", http: handle.httpUrl, mqtt: handle.broker.url }));
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info(`${signal}: draining (up to ${args.drainMs} ms)`);
      handle.close().then(resolve, (e: Error) => {
        logger.error(e.message);
        resolve();
      });
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  logger.info("gateway stopped");
}

gridTask(
  "serve",
  "Run the acquisition gateway: terminals send signed packages over MQTT and HTTP; it journals, validates, anchors and serves proofs",
  (t) =>
    t
      .addOptionalParam("dataDir", "Journal, proofs and validator model", SERVE_DEFAULTS.dataDir, types.string)
      .addOptionalParam("host", "Address both listeners bind", SERVE_DEFAULTS.host, types.string)
      .addOptionalParam("httpPort", "HTTP API port (0: any free port)", SERVE_DEFAULTS.httpPort, types.int)
      .addOptionalParam("mqttPort", "Embedded MQTT broker port (0: any free port)", SERVE_DEFAULTS.mqttPort, types.int)
      .addOptionalParam("mqttUrl", "Subscribe through this external broker (mqtt://host:1883) instead of embedding one")
      .addOptionalParam(
        "mqttClientId",
        "Client id of the persistent session on an external broker",
        SERVE_DEFAULTS.mqttClientId,
        types.string,
      )
      .addOptionalParam("period", "Batch period, seconds", SERVE_DEFAULTS.periodSeconds, types.int)
      .addOptionalParam(
        "grace",
        "Seconds after a period's end before it closes",
        SERVE_DEFAULTS.graceSeconds,
        types.int,
      )
      .addOptionalParam(
        "maxBacklog",
        "Records held (journaled, not yet anchored) before new packages get 503 / QUOTA_EXCEEDED",
        SERVE_DEFAULTS.maxBacklogRecords,
        types.int,
      )
      .addOptionalParam(
        "registryRefresh",
        "Seconds a terminal's registry entry (status, keys) is trusted before it is read again",
        SERVE_DEFAULTS.registryRefreshSeconds,
        types.int,
      )
      .addOptionalParam(
        "case",
        "Grid case of the terminals (sensor profiles, generator election)",
        SERVE_DEFAULTS.case,
        types.string,
      )
      .addOptionalParam("readingType", "Data type of reading batches", SERVE_DEFAULTS.readingType, types.int)
      .addOptionalParam(
        "transactionType",
        "Data type of transaction batches",
        SERVE_DEFAULTS.transactionType,
        types.int,
      )
      .addOptionalParam(
        "tolerance",
        "Seconds a closed window may still be anchored (node outages)",
        SERVE_DEFAULTS.toleranceSeconds,
        types.int,
      )
      .addOptionalParam(
        "generator",
        "Fixed generator terminal id (its key: hardhat vars GRID_GENERATOR_KEY); default on dev chains: QT-DR election among dev-keyed terminals",
      )
      .addOptionalParam(
        "zones",
        "auto | k: zones each with its own generator that signs its zone's batches (dev chains: QT-DR elects it per zone); kept by the journal",
      )
      .addOptionalParam(
        "zoneGenerators",
        "With --zones: JSON naming each zone's registered generator terminal and where its key is (hardhat var, env or keystore); the plan is in <data-dir>/zone-plan.json",
      )
      .addFlag("noDevSetup", "On a development chain, do not deploy, set policies or register the case's terminals")
      .addOptionalParam(
        "drainMs",
        "On SIGTERM, how long to wait for anchoring to finish",
        SERVE_DEFAULTS.drainMs,
        types.int,
      )
      .addOptionalParam(
        "confirmations",
        "Blocks a period's anchoring transaction must be deep before its batches count as confirmed",
        SERVE_DEFAULTS.confirmations,
        types.int,
      )
      .addFlag("quiet", "Log warnings only")
      .setAction(async (args: ServeTaskOptions, hre) => {
        await serveGateway(hre, args);
      }),
);
