/**
 * `npm run node:anvil [-- --state chain.json] [-- --port 8545]`: anvil from the npm package on 127.0.0.1:8545, in
 * the foreground, with the Hardhat dev accounts and chain id 31337. Ctrl-C stops it (dumping --state if given).
 */
import { startAnvil } from "../src/devnet/anvil";

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const anvil = await startAnvil({
    port: Number(flag("port") ?? 8545),
    stateFile: flag("state"),
    stateInterval: flag("state") ? 1 : undefined,
    blockTime: flag("block-time") ? Number(flag("block-time")) : undefined,
    verbose: true,
  });
  console.log(`anvil listening on ${anvil.url} (network "anvil" in hardhat.config.ts)`);
  const shutdown = () => void anvil.stop().then(() => process.exit(0));
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  anvil.process.on("exit", (code) => process.exit(code ?? 0));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
