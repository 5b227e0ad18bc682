/** Prints every batch as it is anchored. Stops after COUNT batches (default: runs until Ctrl-C). */
import { connect } from "./config";

async function main() {
  const { client, provider } = await connect();
  const count = Number(process.env.COUNT ?? Infinity);
  let seen = 0;
  console.log("watching for batches...");
  const stop = client.watchBatches(
    (b) => {
      console.log(
        `batch ${b.batchId} terminal ${b.terminalId} seq ${b.sequence} records ${b.recordCount} tx ${b.txHash} block ${b.blockNumber}`,
      );
      if (++seen >= count) {
        stop();
        provider.destroy();
      }
    },
    { pollIntervalMs: 250 },
  );
  process.once("SIGINT", () => {
    stop();
    provider.destroy();
  });
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
