/**
 * `npm run bench:chain [-- --block-time 1,5] [-- --rates 10,50,100,200,400 --duration 10 --confirmations 3]`: for
 * each block time, starts anvil from the npm package on a free loopback port with that interval mining, runs
 * `hardhat grid:bench:chain --network anvil` against it, and stops it (the anvil binary itself). One block time
 * writes bench/results/chain-anvil.json and .svg as before; several write chain-anvil-bt<N>.json each, and
 * chain-blocktimes.json and .svg with the runs side by side. Other arguments pass through to the task.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { blockTimeChartSpec, type BenchResult } from "../bench/lib/chain";
import { startAnvil } from "../src/devnet/anvil";
import { writeSvg } from "../src/plot/render";

/** Interval mining, as STACK.md recommends under load (automine can leave ready transactions unmined). */
const DEFAULT_BLOCK_TIME = "1";

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
}

async function benchAt(blockTime: number, label: string, args: string[]): Promise<number> {
  const anvil = await startAnvil({ blockTime });
  console.log(`anvil on ${anvil.url}, --block-time ${blockTime}`);
  try {
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(
        join("node_modules", ".bin", "hardhat"),
        ["grid:bench:chain", "--network", "anvil", "--label", label, ...args],
        { stdio: "inherit", env: { ...process.env, ANVIL_URL: anvil.url } },
      );
      child.on("error", reject);
      child.on("exit", (c) => resolve(c ?? 1));
    });
  } finally {
    await anvil.stop();
  }
}

async function main() {
  const args = process.argv.slice(2);
  const blockTimes = (option(args, "--block-time") ?? DEFAULT_BLOCK_TIME).split(",").map((b) => Number(b.trim()));
  if (blockTimes.some((b) => !(b > 0))) throw new Error(`--block-time must list positive seconds, e.g. 1,5`);
  const out = option(args, "--out") ?? "bench/results";
  const label = option(args, "--label") ?? "anvil";
  const several = blockTimes.length > 1;
  const results: { blockTime: number; result: BenchResult }[] = [];
  for (const blockTime of blockTimes) {
    const name = several ? `${label}-bt${blockTime}` : label;
    const code = await benchAt(blockTime, name, [...args, "--out", out]);
    if (code !== 0) process.exit(code);
    results.push({ blockTime, result: JSON.parse(readFileSync(join(out, `chain-${name}.json`), "utf8")) });
  }
  if (several) {
    const json = join(out, "chain-blocktimes.json");
    writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
    const svg = await writeSvg(join(out, "chain-blocktimes.svg"), blockTimeChartSpec(results));
    console.log(`Wrote ${json} and ${svg}`);
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
