import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { deployables } from "../common/deployables";

export const DEFAULT_ABI_DIR = "abi";

export interface AbiTaskOptions {
  out: string;
}

/** The committed form of an ABI file: the artifact's ABI array, indented, with a final newline. */
export function abiFileContent(abi: readonly unknown[]): string {
  return `${JSON.stringify(abi, null, 2)}\n`;
}

/**
 * Writes `<out>/<Contract>.json` (the ABI array) for every deployable contract and removes ABI files of contracts
 * that no longer exist, so the folder always mirrors contracts/.
 */
export async function runAbi(hre: HardhatRuntimeEnvironment, opts: AbiTaskOptions) {
  await hre.run("compile", { quiet: true });
  mkdirSync(opts.out, { recursive: true });
  const written: string[] = [];
  for (const d of await deployables(hre)) {
    const file = join(opts.out, `${d.name}.json`);
    writeFileSync(file, abiFileContent((await hre.artifacts.readArtifact(d.fullyQualifiedName)).abi));
    written.push(file);
  }
  const removed: string[] = [];
  for (const entry of existsSync(opts.out) ? readdirSync(opts.out) : []) {
    const file = join(opts.out, entry);
    if (entry.endsWith(".json") && !written.includes(file)) {
      rmSync(file);
      removed.push(file);
    }
  }
  console.log(`Wrote ${written.join(", ")}${removed.length ? `; removed stale ${removed.join(", ")}` : ""}`);
  return { written, removed };
}

gridTask("abi", "Write abi/<Contract>.json for every deployable contract (for dApps, Remix and other tools)", (t) =>
  t.addOptionalParam("out", "Output folder", DEFAULT_ABI_DIR).setAction(async (args: AbiTaskOptions, hre) => {
    await runAbi(hre, args);
  }),
);
