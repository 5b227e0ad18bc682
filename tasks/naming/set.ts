import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { load } from "../common/lazy";
import { types } from "hardhat/config";
import { ACCOUNT, governanceAs, target, withTarget, type TargetOptions } from "./common";

export interface NameSetOptions extends TargetOptions {
  name: string;
  clear: boolean;
  account: number;
}

export async function runNameSet(hre: HardhatRuntimeEnvironment, opts: NameSetOptions) {
  const t = opts.clear ? ({ kind: "None" } as const) : await target(hre, opts);
  if (!t) throw new Error("give a target (--terminal, --batch, --dataset or --uri) or --clear");
  const gov = await governanceAs(hre, opts.account);
  const result = await load.naming.names().setNameTarget(gov.names, opts.name, t);
  console.log(`${opts.name} -> ${load.naming.names().describeTarget(t)} (tx ${result.txHash})`);
  return result;
}

gridTask("name:set", "Point a name you own at a terminal, batch, dataset or URI, or clear it", (t) =>
  withTarget(t.addParam("name", "Dotted name"))
    .addFlag("clear", "Remove the target")
    .addOptionalParam("account", ACCOUNT, 0, types.int)
    .setAction(async (args: NameSetOptions, hre) => {
      await runNameSet(hre, args);
    }),
);
