import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { load } from "../common/lazy";
import { types } from "hardhat/config";
import { ACCOUNT, governanceAs, target, withTarget, type TargetOptions } from "./common";

export interface NameRegisterOptions extends TargetOptions {
  name: string;
  owner?: string;
  account: number;
}

/** Registers a name, creating missing parents, optionally with a target and another owner, in one transaction. */
export async function runNameRegister(hre: HardhatRuntimeEnvironment, opts: NameRegisterOptions) {
  const gov = await governanceAs(hre, opts.account);
  const result = await load.naming
    .names()
    .registerName(gov.names, opts.name, { owner: opts.owner, target: await target(hre, opts) });
  const created = result.created.length > 0 ? `created ${result.created.join(", ")}` : "already registered";
  console.log(`${opts.name}: ${created}; node ${result.node}${result.txHash ? ` (tx ${result.txHash})` : ""}`);
  return result;
}

gridTask(
  "name:register",
  "Register a name such as gz.ieee39.bus13.pmu (missing parents too), optionally with a target",
  (t) =>
    withTarget(t.addParam("name", "Dotted name, most general label first"))
      .addOptionalParam("owner", "Owner of the new name (default: the sender)")
      .addOptionalParam("account", ACCOUNT, 0, types.int)
      .setAction(async (args: NameRegisterOptions, hre) => {
        await runNameRegister(hre, args);
      }),
);
