import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedGovernance } from "../common/chain";
import { accountWallet, keySigner } from "../common/accounts";
import { load } from "../common/lazy";

export interface RequestTaskOptions {
  dataset: string;
  purpose: string;
  key?: string;
  account: number;
}

/** As a receiver: asks for access and publishes the public key to encrypt for. */
export async function runRequest(hre: HardhatRuntimeEnvironment, opts: RequestTaskOptions) {
  const { parsePrivateKey } = load.sharing.bundle();
  const wallet = opts.key ? undefined : await accountWallet(hre, opts.account);
  const privateKey = parsePrivateKey(opts.key ?? wallet!.privateKey);
  const ctx = await chainContext(hre);
  const gov = await connectDeployedGovernance(hre, ctx, keySigner(hre, privateKey));
  const datasetId = await load.naming.names().datasetIdFrom(gov.names, opts.dataset);
  const r = await load.sharing.datasets().requestAccess(gov.sharing, datasetId, privateKey, opts.purpose);
  console.log(`${r.address} asked for dataset ${datasetId} and published its public key (tx ${r.txHash})`);
  return r;
}

gridTask("share:request", "As a receiver, ask for access to a dataset and publish your public key", (t) =>
  t
    .addParam("dataset", "Dataset id or a name pointing at it")
    .addOptionalParam("purpose", "Why you want the data", "")
    .addOptionalParam("key", "Your private key (hex); default: the --account's key")
    .addOptionalParam("account", "Index of your account", 0, types.int)
    .setAction(async (args: RequestTaskOptions, hre) => {
      await runRequest(hre, args);
    }),
);
