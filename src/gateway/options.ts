import { previousDay, RUN_DEFAULTS } from "../pipeline/options";
import type { GatewayPolicy } from "./core";

/*
 * The gateway's defaults, apart from the modules that load contracts: the grid:serve task registers its options
 * from these when hardhat.config.ts loads, before `hardhat compile` has generated typechain-types.
 */

export const GATEWAY_DEFAULTS: Readonly<GatewayPolicy> = Object.freeze({
  periodSeconds: 900,
  graceSeconds: 30,
  maxBacklogRecords: 2_000_000,
  futureSkewSeconds: 60,
  retryPauseMs: 2_000,
  registryRefreshSeconds: 60,
});

export const SERVE_DEFAULTS = {
  dataDir: "out/gateway",
  host: "127.0.0.1",
  httpPort: 8080,
  mqttPort: 1883,
  mqttClientId: "gridledger-gateway",
  periodSeconds: GATEWAY_DEFAULTS.periodSeconds,
  graceSeconds: GATEWAY_DEFAULTS.graceSeconds,
  maxBacklogRecords: GATEWAY_DEFAULTS.maxBacklogRecords,
  registryRefreshSeconds: GATEWAY_DEFAULTS.registryRefreshSeconds,
  case: RUN_DEFAULTS.case,
  readingType: 21,
  transactionType: 22,
  toleranceSeconds: 7 * 86_400,
  loadFile: RUN_DEFAULTS.loadFile,
  trainFrom: RUN_DEFAULTS.trainFrom,
  trainTo: previousDay(RUN_DEFAULTS.dataDay),
  confirmations: 1,
  drainMs: 10_000,
} as const;
