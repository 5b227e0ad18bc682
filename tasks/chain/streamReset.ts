import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedCore } from "../common/chain";
import { load } from "../common/lazy";

export interface StreamResetOptions {
  terminal: string;
  sequence: number;
  headerHash: string;
  reason: string;
}

/**
 * Moves a stream's tip (admin): after a stolen key anchored the next sequence, back to the last honest header, so
 * the terminal's own next header anchors. The batches already anchored stay anchored.
 */
export async function runStreamReset(hre: HardhatRuntimeEnvironment, opts: StreamResetOptions) {
  if (!/^0x[0-9a-fA-F]{64}$/.test(opts.headerHash))
    throw new Error(`--header-hash must be 0x followed by 64 hex digits, got "${opts.headerHash}"`);
  if (opts.reason.trim() === "") throw new Error("--reason must say why the stream is reset (it is emitted on-chain)");
  const core = await connectDeployedCore(hre, await chainContext(hre));
  const id = load.chain.ids().toTerminalId(opts.terminal);
  const { sendChecked } = load.chain.errors();
  const { tx } = await sendChecked(
    `reset the stream of ${opts.terminal}`,
    core.acquisition.resetStream,
    id,
    BigInt(opts.sequence),
    opts.headerHash,
    opts.reason,
  );
  console.log(
    `stream ${opts.terminal} now continues after sequence ${opts.sequence} (header ${opts.headerHash}) (tx ${tx.hash})`,
  );
}

gridTask("stream:reset", "Move a stream's tip back after a stolen key anchored ahead (admin)", (t) =>
  t
    .addParam("terminal", "Terminal label or 0x id")
    .addParam("sequence", "The sequence of the header the stream continues from (0: genesis)", undefined, types.int)
    .addOptionalParam("headerHash", "That header's EIP-712 hash (BatchAnchored headerHash)", `0x${"0".repeat(64)}`)
    .addParam("reason", "Why, emitted in StreamReset")
    .setAction(async (args: StreamResetOptions, hre) => {
      await runStreamReset(hre, args);
    }),
);
