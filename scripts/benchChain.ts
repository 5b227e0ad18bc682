/**
 * `npm run bench:chain [-- --block-time 1] [-- --rates 10,50,100,200,400 --duration 10]`: starts anvil from the npm
 * package on a free loopback port with interval mining, runs `hardhat grid:bench:chain --network anvil` against it,
 * and stops it. Results: bench/results/chain-anvil.json and .svg. Other arguments pass through to the task.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { startAnvil } from "../src/devnet/anvil";

/** Interval mining, as STACK.md recommends under load (automine can leave ready transactions unmined). */
const DEFAULT_BLOCK_TIME = 1;

async function main() {
  const args = process.argv.slice(2);
  const i = args.indexOf("--block-time");
  const blockTime = i >= 0 ? Number(args.splice(i, 2)[1]) : DEFAULT_BLOCK_TIME;
  const anvil = await startAnvil({ blockTime });
  console.log(`anvil on ${anvil.url}, --block-time ${blockTime}`);
  let code = 1;
  try {
    code = await new Promise<number>((resolve, reject) => {
      const child = spawn(
        join("node_modules", ".bin", "hardhat"),
        ["grid:bench:chain", "--network", "anvil", ...args],
        { stdio: "inherit", env: { ...process.env, ANVIL_URL: anvil.url } },
      );
      child.on("error", reject);
      child.on("exit", (c) => resolve(c ?? 1));
    });
  } finally {
    await anvil.stop();
  }
  process.exit(code);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
