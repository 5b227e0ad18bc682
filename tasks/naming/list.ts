import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { load } from "../common/lazy";
import { governanceAs } from "./common";

export async function runNameList(hre: HardhatRuntimeEnvironment, opts: { json: boolean }) {
  const gov = await governanceAs(hre, 0);
  const list = await load.naming.names().listNames(gov.names);
  if (opts.json) console.log(JSON.stringify(list, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  else if (list.length === 0) console.log("No names registered.");
  else
    for (const n of list)
      console.log(`${n.name}  -> ${load.naming.names().describeTarget(n.target)}  (owner ${n.owner})`);
  return list;
}

gridTask("name:list", "List every name, rebuilt from the registry's events", (t) =>
  t.addFlag("json", "Print JSON").setAction(async (args: { json: boolean }, hre) => {
    await runNameList(hre, args);
  }),
);
