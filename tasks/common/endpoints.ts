import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Signer } from "ethers";
import type { RpcProvider } from "../../src/pipeline/clock";
import { accountWallet } from "./accounts";
import { load } from "./lazy";

declare module "hardhat/types/config" {
  interface HttpNetworkUserConfig {
    /** Every endpoint of the network's chain, in failover order (`url` is the first). */
    urls?: string[];
  }
  interface HttpNetworkConfig {
    urls?: string[];
  }
}

/** The endpoints of the task's network: its `urls` list (ANVIL_URL / RPC_URL, comma-separated), else its `url`. */
export function networkEndpoints(hre: HardhatRuntimeEnvironment): string[] {
  const config = hre.network.config as { url?: string; urls?: string[] };
  return config.urls ?? (config.url ? [config.url] : []);
}

export interface Relayer {
  /** The one account that sends (pays gas for) the task's transactions, with its own nonce sequence. */
  signer: Signer;
  provider: RpcProvider;
  endpoints: string[];
}

/**
 * The signer and provider a writing task uses. With one endpoint (or the in-process network), Hardhat's own. With
 * several, a failover provider over all of them and the network's account 0 as a local key, so transactions are
 * signed here and checked by hash on whichever endpoint answers (src/chain/failover.ts says why not ethers'
 * FallbackProvider). Every endpoint that answers must serve the same chain.
 */
export async function relayer(hre: HardhatRuntimeEnvironment, log: (line: string) => void): Promise<Relayer> {
  const endpoints = networkEndpoints(hre);
  if (hre.network.name === "hardhat" || endpoints.length <= 1) {
    const [signer] = await hre.ethers.getSigners();
    return { signer, provider: hre.ethers.provider, endpoints };
  }
  const { FailoverJsonRpcProvider, checkEndpoints } = load.chain.failover();
  const { chainId, unreachable } = await checkEndpoints(endpoints);
  if (unreachable.length > 0) log(`RPC endpoints not answering now: ${unreachable.join(", ")}`);
  const provider = new FailoverJsonRpcProvider(endpoints, {
    staticNetwork: true,
    pollingInterval: 500,
    onFailover: (from, to, error) =>
      log(
        `RPC endpoint ${from} stopped answering (${error instanceof Error ? error.message.split("\n")[0] : String(error)}); now using ${to}`,
      ),
  });
  const network = await provider.getNetwork();
  if (network.chainId !== chainId) throw new Error(`RPC endpoints: chain ${chainId} expected, got ${network.chainId}`);
  const signer = (await accountWallet(hre, 0)).connect(provider);
  return { signer, provider, endpoints };
}
