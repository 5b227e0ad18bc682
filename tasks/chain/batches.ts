import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedCore } from "../common/chain";
import { load } from "../common/lazy";

export interface BatchesTaskOptions {
  terminal?: string;
  json: boolean;
}

/** Lists anchored batches from BatchAnchored events. */
export async function runBatches(hre: HardhatRuntimeEnvironment, opts: BatchesTaskOptions) {
  const { toTerminalId } = load.chain.ids();
  const { listBatches } = load.chain.streams();
  const core = await connectDeployedCore(hre, await chainContext(hre));
  const batches = await listBatches(core.acquisition, {
    terminalId: opts.terminal ? toTerminalId(opts.terminal) : undefined,
  });
  if (opts.json) {
    console.log(JSON.stringify(batches, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  } else if (batches.length === 0) {
    console.log("No batches anchored.");
  } else {
    console.table(
      batches.map((b) => ({
        batch: Number(b.batchId),
        terminal: `${b.terminalId.slice(0, 10)}…`,
        seq: Number(b.sequence),
        type: b.dataType,
        records: b.recordCount,
        window: `${new Date(Number(b.windowStart) * 1000).toISOString()} +${Number(b.windowEnd - b.windowStart)}s`,
        root: `${b.merkleRoot.slice(0, 12)}…`,
        block: b.blockNumber,
      })),
    );
  }
  return batches;
}

gridTask("batches", "List anchored batches (from events)", (t) =>
  t
    .addOptionalParam("terminal", "Only this stream terminal (label or 0x id)")
    .addFlag("json", "Print JSON")
    .setAction(async (args: BatchesTaskOptions, hre) => {
      await runBatches(hre, args);
    }),
);
