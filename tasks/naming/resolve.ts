import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { load } from "../common/lazy";
import { governanceAs } from "./common";

export interface NameResolveOptions {
  name: string;
  json: boolean;
}

export async function runNameResolve(hre: HardhatRuntimeEnvironment, opts: NameResolveOptions) {
  const gov = await governanceAs(hre, 0);
  const r = await load.naming.names().resolveName(gov.names, opts.name);
  if (opts.json) console.log(JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  else console.log(`${r.name} -> ${load.naming.names().describeTarget(r.target)}  (owner ${r.owner}, node ${r.node})`);
  return r;
}

gridTask("name:resolve", "Show what a name points at and who owns it", (t) =>
  t
    .addParam("name", "Dotted name")
    .addFlag("json", "Print JSON")
    .setAction(async (args: NameResolveOptions, hre) => {
      await runNameResolve(hre, args);
    }),
);
