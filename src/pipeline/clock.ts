import type { Provider } from "ethers";

/** A provider that also takes raw JSON-RPC calls (ethers JsonRpcProvider, Hardhat's provider). */
export type RpcProvider = Provider & { send(method: string, params: unknown[]): Promise<unknown> };

/**
 * Development nodes (Hardhat, anvil) let the pipeline move the chain clock to each period's end, so a simulated
 * day anchors in seconds with the real policies. Other nodes (Geth --dev, Besu) keep wall-clock time; the run
 * then anchors the day as a backfill (see runPipeline).
 */
export async function canSetTime(provider: RpcProvider): Promise<boolean> {
  const client = String(await provider.send("web3_clientVersion", []).catch(() => ""));
  return /hardhat|anvil|ganache/i.test(client);
}

export async function latestTimestamp(provider: RpcProvider): Promise<number> {
  const block = await provider.getBlock("latest");
  if (!block) throw new Error("the node returned no latest block");
  return block.timestamp;
}

/** Makes the next block's timestamp `timestamp` unless the chain is already past it. */
export async function setNextBlockTime(provider: RpcProvider, timestamp: number): Promise<void> {
  if ((await latestTimestamp(provider)) < timestamp) await provider.send("evm_setNextBlockTimestamp", [timestamp]);
}

/** Mines empty blocks (development nodes), so confirmations arrive without waiting for other traffic. */
export async function mineBlocks(provider: RpcProvider, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await provider.send("evm_mine", []);
}
