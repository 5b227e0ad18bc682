import type { Signer, SigningKey } from "ethers";
import type { CoreContracts } from "../../chain/contracts";
import type { StreamState } from "../../chain/streams";
import type { RpcProvider } from "../clock";
import type { TerminalDirectory } from "../ingest";
import type { Journal } from "../journal";
import type { SendOptions } from "../sender";

/** The chain a pipeline anchors to, fixed when the run (or the gateway's journal) starts. */
export interface ChainSetup {
  core: CoreContracts;
  chainId: bigint;
  contracts: Record<string, string>;
  /**
   * "warp": the chain clock is moved to each period's end (embedded Hardhat); "backfill": a wall-clock node
   * anchors a past day; "live": a wall-clock node anchors periods as they close (the gateway).
   */
  mode: "warp" | "backfill" | "live";
  /** Chain time (unix s) where period 0's window starts. */
  chainStart: number;
  /** The data type (TY) of each batch kind. */
  dataTypes: Record<"readings" | "transactions", number>;
}

/**
 * What every pipeline stage works on: one object, so the simulation (`runPipeline`) and the gateway
 * (`grid:serve`) call the same stages with the same state.
 */
export interface PipelineContext {
  journal: Journal;
  chain: ChainSetup;
  /** Funded account that relays anchors (pays gas; terminals sign headers). */
  signer: Signer;
  provider: RpcProvider;
  periodSeconds: number;
  /** Confirmations before a batch counts as anchored. */
  confirmations: number;
  send: Omit<SendOptions, "confirmations" | "log">;
  log: (line: string) => void;
  /** The registry as last read: signer and status per terminal. */
  directory: TerminalDirectory;
  /** The header-signing key of a generator terminal. */
  keyOf: (terminalId: string) => SigningKey;
  labelOf: (terminalId: string) => string;
  /** Stream tips this process has signed on; read from the chain when missing. */
  tips: Map<string, StreamState>;
  /** Folder of the per-batch proof files. */
  proofsDir: string;
  /** A zoned run: the zone of a terminal's records (its zone's generator signs their batches). */
  zoneOf?: (terminalId: string) => number;
}

/** A period's window [start, end) in chain time. */
export function periodWindow(ctx: Pick<PipelineContext, "chain" | "periodSeconds">, period: number) {
  const windowStart = ctx.chain.chainStart + period * ctx.periodSeconds;
  return { windowStart, windowEnd: windowStart + ctx.periodSeconds };
}
