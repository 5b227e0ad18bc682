import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedCore } from "../common/chain";
import { load } from "../common/lazy";
import { addressOption } from "../common/options";

export interface RotateTaskOptions {
  terminal: string;
  signer: string;
}

export async function runRotate(hre: HardhatRuntimeEnvironment, opts: RotateTaskOptions) {
  const signer = addressOption(opts.signer, "--signer");
  const core = await connectDeployedCore(hre, await chainContext(hre));
  const { sendChecked } = load.chain.errors();
  const id = load.chain.ids().toTerminalId(opts.terminal);
  const { tx } = await sendChecked(`rotate ${opts.terminal}`, core.registry.rotateSigner, id, signer);
  console.log(
    `rotated: ${opts.terminal} now signs with ${signer} (tx ${tx.hash}); batches signed by the old key stay valid`,
  );
}

gridTask("terminal:rotate", "Rotate a terminal's signing key", (t) =>
  t
    .addParam("terminal", "Terminal label or 0x id")
    .addParam("signer", "The new signer address", undefined, types.string)
    .setAction(async (args: RotateTaskOptions, hre) => {
      await runRotate(hre, args);
    }),
);
