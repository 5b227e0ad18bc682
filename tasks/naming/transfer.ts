import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { load } from "../common/lazy";
import { types } from "hardhat/config";
import { ACCOUNT, governanceAs } from "./common";

export interface NameTransferOptions {
  name: string;
  to: string;
  account: number;
}

export async function runNameTransfer(hre: HardhatRuntimeEnvironment, opts: NameTransferOptions) {
  const gov = await governanceAs(hre, opts.account);
  const r = await load.naming.names().transferName(gov.names, opts.name, opts.to);
  console.log(`${opts.name} now belongs to ${opts.to} (tx ${r.txHash})`);
  return r;
}

gridTask("name:transfer", "Hand a name you own to another owner", (t) =>
  t
    .addParam("name", "Dotted name")
    .addParam("to", "New owner address")
    .addOptionalParam("account", ACCOUNT, 0, types.int)
    .setAction(async (args: NameTransferOptions, hre) => {
      await runNameTransfer(hre, args);
    }),
);
