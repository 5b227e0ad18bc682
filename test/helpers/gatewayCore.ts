import { GATEWAY_DEFAULTS, GatewayCore, type GatewayCoreDeps } from "../../src/gateway/core";
import type { GatewayJournal } from "../../src/gateway/inbox";
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
}

/** A gateway core on `journal` with no chain, no terminals and no validator behind it. */
export function stubCore(journal: GatewayJournal, o: StubCoreOptions): GatewayCore {
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
      log: o.log ?? (() => undefined),
      directory: new Map(),
      proofsDir: o.proofsDir ?? "",
    } as unknown as GatewayCoreDeps["ctx"],
    stage: o.stage ?? ({} as ValidateStage),
    profiles: new Map(),
    elect: () => ({ generatorBus: -1, terminalId: o.terminalId, routing: "{}" }),
    signMs: 0,
    lookupTerminal: async () => undefined,
    policy: o.policy ?? GATEWAY_DEFAULTS,
    now: o.now,
    door: o.door,
  });
}
