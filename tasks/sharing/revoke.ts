import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedGovernance } from "../common/chain";
import { accountSigner } from "../common/accounts";
import { load } from "../common/lazy";

export interface RevokeTaskOptions {
  dataset: string;
  receiver: string;
  account: number;
}

export async function runRevoke(hre: HardhatRuntimeEnvironment, opts: RevokeTaskOptions) {
  const ctx = await chainContext(hre);
  const gov = await connectDeployedGovernance(hre, ctx, await accountSigner(hre, opts.account));
  const datasetId = await load.naming.names().datasetIdFrom(gov.names, opts.dataset);
  const tx = await load.sharing.datasets().revokeGrant(gov.sharing, datasetId, opts.receiver);
  console.log(`Revoked ${opts.receiver}'s access to dataset ${datasetId} (tx ${tx})`);
  return tx;
}

gridTask("share:revoke", "Revoke a receiver's access to a dataset, as its provider or as the DataSharing admin", (t) =>
  t
    .addParam("dataset", "Dataset id or a name pointing at it")
    .addParam("receiver", "Receiver address")
    .addOptionalParam("account", "Index of the provider's (or the admin's) account", 0, types.int)
    .setAction(async (args: RevokeTaskOptions, hre) => {
      await runRevoke(hre, args);
    }),
);
