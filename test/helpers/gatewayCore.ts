import { GATEWAY_DEFAULTS, GatewayCore, type GatewayCoreDeps } from "../../src/gateway/core";
import type { GatewayJournal } from "../../src/gateway/inbox";
import type { DirectoryEntry } from "../../src/pipeline/ingest";
import type { ValidateStage } from "../../src/validation/stage";

/** What the gateway core unit tests vary; everything else is a stand-in that never reaches a node. */
export interface StubCoreOptions {
  /** The terminal every period's election returns. */
  terminalId: string;
  proofsDir?: string;
  log?: (line: string) => void;
  stage?: ValidateStage;
  policy?: GatewayCoreDeps["policy"];
  now?: () => number;
  door?: GatewayCoreDeps["door"];
  /** A zoned gateway: each terminal's zone (every zone's batches are signed by `terminalId`). */
  zoneOf?: (terminalId: string) => number;
  /** The registry as read at start (empty by default: every terminal is unknown). */
  directory?: Map<string, DirectoryEntry>;
}

/** A gateway core on `journal` with no chain, no terminals and no validator behind it. */
export function stubCore(journal: GatewayJournal, o: StubCoreOptions): GatewayCore {
  const policy = o.policy ?? GATEWAY_DEFAULTS;
  return new GatewayCore({
    ctx: {
      journal,
      chain: {
        chainId: 31337n,
        contracts: { DataAcquisition: `0x${"cd".repeat(20)}` },
        chainStart: 0,
        mode: "live",
        dataTypes: { readings: 21, transactions: 22 },
      },
      periodSeconds: policy.periodSeconds,
      log: o.log ?? (() => undefined),
      directory: o.directory ?? new Map(),
      proofsDir: o.proofsDir ?? "",
      zoneOf: o.zoneOf,
    } as unknown as GatewayCoreDeps["ctx"],
    stage: o.stage ?? ({} as ValidateStage),
    profiles: new Map(),
    elect: (_period, _tBuildMs, records) => ({
      generatorBus: -1,
      terminalId: o.terminalId,
      routing: "{}",
      ...(o.zoneOf && {
        zones: [...new Set(records.map((r) => o.zoneOf!(r.row.terminalId)))].map((zone) => ({
          zone,
          generatorBus: -1,
          terminalId: o.terminalId,
        })),
      }),
    }),
    signMs: 0,
    lookupTerminal: async () => undefined,
    policy,
    now: o.now,
    door: o.door,
  });
}
