import { previousDay, RUN_DEFAULTS } from "../pipeline/options";

/**
 * Defaults of the gateway (`grid:serve`). A small module on purpose: task files import it at load time to
 * declare their parameters, so it must not pull in the chain client or the pipeline.
 */
export const GATEWAY_DEFAULTS = Object.freeze({
  periodSeconds: 900,
  graceSeconds: 30,
  maxBacklogRecords: 2_000_000,
  /** How far ahead of the gateway clock a package's period may start (terminal clock skew). */
  futureSkewSeconds: 60,
  /** Pause between anchoring attempts while the node is unreachable. */
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
  /** Data types of the gateway's reading and transaction batches (time-driven at the gateway's period). */
  readingType: 21,
  transactionType: 22,
  toleranceSeconds: 7 * 86_400,
  loadFile: RUN_DEFAULTS.loadFile,
  trainFrom: RUN_DEFAULTS.trainFrom,
  /** The validator trains on the data up to the day before the replayed day. */
  trainTo: previousDay(RUN_DEFAULTS.dataDay),
  confirmations: 1,
  drainMs: 10_000,
} as const;

/** Replayed data seconds per period of the terminal simulator (a 15-minute frame). */
export const DATA_PERIOD_SECONDS = 900;
