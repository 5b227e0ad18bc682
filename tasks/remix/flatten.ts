import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TASK_FLATTEN_GET_FLATTENED_SOURCE } from "hardhat/builtin-tasks/task-names";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { deployables } from "../common/deployables";

export const DEFAULT_FLAT_DIR = "flat";

export interface FlattenTaskOptions {
  out: string;
}

/**
 * Writes `<out>/<Contract>.sol` for every deployable contract: one self-contained file with its OpenZeppelin and
 * GridLedger dependencies inlined, which Remix (or any solc) compiles to the same bytecode as Hardhat.
 */
export async function runFlatten(hre: HardhatRuntimeEnvironment, opts: FlattenTaskOptions) {
  await hre.run("compile", { quiet: true });
  mkdirSync(opts.out, { recursive: true });
  const written: string[] = [];
  for (const d of await deployables(hre)) {
    const source: string = await hre.run(TASK_FLATTEN_GET_FLATTENED_SOURCE, { files: [d.sourceName] });
    const file = join(opts.out, `${d.name}.sol`);
    writeFileSync(file, source.endsWith("\n") ? source : `${source}\n`);
    written.push(file);
  }
  console.log(`Wrote ${written.join(", ")}`);
  return { written };
}

gridTask("flatten", "Write flat/<Contract>.sol, one self-contained source per deployable contract (for Remix)", (t) =>
  t.addOptionalParam("out", "Output folder", DEFAULT_FLAT_DIR).setAction(async (args: FlattenTaskOptions, hre) => {
    await runFlatten(hre, args);
  }),
);
