/** Helpers shared by the name:* tasks (one task per file beside this one). */
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import { types } from "hardhat/config";
import { chainContext, connectDeployedCore, connectDeployedGovernance } from "../common/chain";
import { accountSigner } from "../common/accounts";
import { load } from "../common/lazy";

/** Target options shared by name:register and name:set. */
export interface TargetOptions {
  terminal?: string;
  /** A 0x Merkle root or a batch id (resolved to its root). */
  batch?: string;
  dataset?: number;
  uri?: string;
}

/** DataSharing and DataNameRegistry connected to the given network account. */
export async function governanceAs(hre: HardhatRuntimeEnvironment, account: number) {
  const ctx = await chainContext(hre);
  return connectDeployedGovernance(hre, ctx, await accountSigner(hre, account));
}

/** The target the options give, if any; a batch id is resolved to its root (what the name stores). */
export async function target(hre: HardhatRuntimeEnvironment, opts: TargetOptions) {
  const { toTerminalId } = load.chain.ids();
  let batch = opts.batch;
  if (batch !== undefined) {
    const ctx = await chainContext(hre);
    const core = await connectDeployedCore(hre, ctx);
    batch = await load.chain.streams().resolveBatchRoot(core.acquisition, batch);
  }
  return load.naming.names().targetFromOptions({ ...opts, batch, toTerminalId });
}

export const ACCOUNT = "Index of the network account that sends the transaction";

/** The target options of name:register and name:set. */
export function withTarget(t: ConfigurableTaskDefinition) {
  return t
    .addOptionalParam("terminal", "Point the name at a registered terminal (label or 0x id)")
    .addOptionalParam(
      "batch",
      "Point the name at an anchored batch: its 0x Merkle root, or its id (the root is stored)",
    )
    .addOptionalParam("dataset", "Point the name at a DataSharing dataset id", undefined, types.int)
    .addOptionalParam("uri", "Point the name at a metadata URI");
}
