/**
 * A gateway in its own OS process, for the crash test (SIGKILL must hit a real process, not the test's):
 * `node -r ts-node/register/transpile-only gatewayMain.ts '{"rpcUrl": ..., "opts": ServeOptions}'`.
 * Prints the same `{"event":"listening",...}` line as grid:serve; SIGTERM drains.
 */
import { HDNodeWallet, JsonRpcProvider } from "ethers";
import { DEV_MNEMONIC } from "../../src/chain/keys";
import { startGateway, type ServeOptions } from "../../src/gateway/server";

async function main() {
  const { rpcUrl, opts } = JSON.parse(process.argv[2]) as { rpcUrl: string; opts: ServeOptions };
  const provider = new JsonRpcProvider(rpcUrl, undefined, {
    staticNetwork: true,
    pollingInterval: 250,
    cacheTimeout: -1,
  });
  const signer = HDNodeWallet.fromPhrase(DEV_MNEMONIC).connect(provider);
  const handle = await startGateway(opts, {
    signer,
    provider,
    network: "anvil",
    log: (line) => process.stderr.write(`${line}\n`),
  });
  console.log(JSON.stringify({ event: "listening", http: handle.httpUrl, mqtt: handle.broker.url }));
  process.once("SIGTERM", () => {
    handle.close().then(
      () => process.exit(0),
      (e: Error) => {
        process.stderr.write(`${e.message}\n`);
        process.exit(1);
      },
    );
  });
}

// `hardhat test` loads every file under test/, this one too: run only when started as the entry point.
if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
  });
}
