import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedCore } from "../common/chain";
import { load } from "../common/lazy";
import { addressOption } from "../common/options";

export interface RotateTaskOptions {
  terminal: string;
  signer?: string;
  apply: boolean;
}

export async function runRotate(hre: HardhatRuntimeEnvironment, opts: RotateTaskOptions) {
  // Checked before anything is read or sent.
  const signer = opts.signer === undefined ? undefined : addressOption(opts.signer, "--signer");
  const core = await connectDeployedCore(hre, await chainContext(hre));
  const { sendChecked } = load.chain.errors();
  const id = load.chain.ids().toTerminalId(opts.terminal);
  if (opts.apply) {
    const { tx } = await sendChecked(`apply the rotation of ${opts.terminal}`, core.registry.applySignerRotation, id);
    console.log(`rotated: ${opts.terminal} now signs with ${await core.registry.signerOf(id)} (tx ${tx.hash})`);
    return;
  }
  if (!signer) throw new Error("give --signer <new address>, or --apply to apply a scheduled rotation");
  const { tx, receipt } = await sendChecked(`rotate ${opts.terminal}`, core.registry.rotateSigner, id, signer);
  const scheduled = receipt.logs
    .map((log) => core.registry.interface.parseLog(log))
    .find((p) => p?.name === "SignerRotationScheduled");
  if (scheduled) {
    const at = new Date(Number(scheduled.args.effectiveAt) * 1000).toISOString();
    console.log(
      `scheduled: ${opts.terminal} signs with ${signer} from ${at} (tx ${tx.hash}): a registrar's rotation waits for the admin-set delay; anyone applies it then with grid:terminal:rotate --apply, the admin can cancel it before`,
    );
    return;
  }
  console.log(
    `rotated: ${opts.terminal} now signs with ${signer} (tx ${tx.hash}); headers the old key signed for windows that closed before now stay anchorable within their tolerance, and its records keep verifying`,
  );
}

gridTask("terminal:rotate", "Rotate a terminal's signing key", (t) =>
  t
    .addParam("terminal", "Terminal label or 0x id")
    .addOptionalParam("signer", "The new signer address", undefined, types.string)
    .addFlag("apply", "Apply a scheduled (registrar) rotation whose delay has passed")
    .setAction(async (args: RotateTaskOptions, hre) => {
      await runRotate(hre, args);
    }),
);
