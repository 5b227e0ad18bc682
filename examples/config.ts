/**
 * Shared settings of the examples, from the environment:
 *   RPC_URL          the node (default http://127.0.0.1:8545: `npx hardhat node` or `npm run node:anvil`)
 *   NETWORK          which deployments/<NETWORK>-<chainId>.json to use (default localhost; anvil for anvil)
 *   DEPLOYMENTS_DIR  where deployments files are (default deployments)
 *   PROOFS           the batch proofs file the anchor example writes and the verify example reads
 */
import { JsonRpcProvider } from "ethers";
import { connectFromDeployments, type GridLedgerClient } from "../src/sdk/index.node";

export const RPC_URL = process.env.RPC_URL ?? "http://127.0.0.1:8545";
export const PROOFS = process.env.PROOFS ?? "out/examples/batch.proofs.json";

/** The terminals the examples register and anchor for. */
export const TERMINALS = [
  { id: "example.ieee39.bus5.pmu", kind: "PMU", grid: "ieee39", bus: 5 },
  { id: "example.ieee39.bus13.ttu", kind: "TTU", grid: "ieee39", bus: 13, geohash: "wsqqm" },
];

/** A client that sends with the node's first unlocked development account. */
export async function connect(): Promise<{ client: GridLedgerClient; provider: JsonRpcProvider }> {
  const provider = new JsonRpcProvider(RPC_URL, undefined, { pollingInterval: 250 });
  const signer = await provider.getSigner(0);
  const client = await connectFromDeployments(signer, process.env.NETWORK ?? "localhost", {
    dir: process.env.DEPLOYMENTS_DIR,
  });
  return { client, provider };
}
