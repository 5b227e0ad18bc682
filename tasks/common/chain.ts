import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Signer } from "ethers";
import type { CoreContracts, GovernanceContracts } from "../../src/chain/contracts";
import type { Deployment } from "../../src/chain/deployments.node";
import type { Relayer } from "./endpoints";
import { load } from "./lazy";

export interface ChainContext {
  network: string;
  chainId: number;
  signer: Signer;
  deploymentPath: string;
  deployment: Deployment | undefined;
}

/**
 * The network, chain id, default signer and recorded deployment of the task's `--network`; through `relayer` (the
 * failover provider over several endpoints) when given.
 */
export async function chainContext(hre: HardhatRuntimeEnvironment, relayer?: Relayer): Promise<ChainContext> {
  await hre.run("compile", { quiet: true });
  const deployments = load.chain.deployments();
  const signer = relayer?.signer ?? (await hre.ethers.getSigners())[0];
  const chainId = Number((await (relayer?.provider ?? hre.ethers.provider).getNetwork()).chainId);
  const deploymentPath = deployments.deploymentPath(hre.network.name, chainId);
  return {
    network: hre.network.name,
    chainId,
    signer,
    deploymentPath,
    deployment: deployments.readDeployment(deploymentPath),
  };
}

/** The deployed core contracts, or a clear error when they are missing on this network. */
export async function connectDeployedCore(hre: HardhatRuntimeEnvironment, ctx: ChainContext): Promise<CoreContracts> {
  const contracts = load.chain.contracts();
  const deployments = load.chain.deployments();
  const registry = deployments.requireAddress(ctx.deployment, "TerminalRegistry", ctx.deploymentPath);
  const acquisition = deployments.requireAddress(ctx.deployment, "DataAcquisition", ctx.deploymentPath);
  if ((await (ctx.signer.provider ?? hre.ethers.provider).getCode(acquisition)) === "0x") {
    const hint =
      hre.network.name === "hardhat"
        ? "the in-process hardhat network starts empty on every command: start a node (`npx hardhat node` or `npm run node:anvil`) and pass --network localhost or --network anvil"
        : "the node was reset: run grid:deploy again";
    throw new Error(`no contract code at ${acquisition} (${ctx.deploymentPath}): ${hint}`);
  }
  const core = contracts.connectCore({ registry, acquisition }, ctx.signer);
  await contracts.checkCoreVersions(core);
  return core;
}

/** The deployed DataSharing and DataNameRegistry, or a clear error when they are missing on this network. */
export async function connectDeployedGovernance(
  hre: HardhatRuntimeEnvironment,
  ctx: ChainContext,
  runner: Signer = ctx.signer,
): Promise<GovernanceContracts> {
  const contracts = load.chain.contracts();
  const deployments = load.chain.deployments();
  const sharing = deployments.requireAddress(ctx.deployment, "DataSharing", ctx.deploymentPath);
  const names = deployments.requireAddress(ctx.deployment, "DataNameRegistry", ctx.deploymentPath);
  if ((await hre.ethers.provider.getCode(sharing)) === "0x") {
    throw new Error(
      `no contract code at ${sharing} (${ctx.deploymentPath}): the node was reset: run grid:deploy again`,
    );
  }
  const governance = contracts.connectGovernance({ names, sharing }, runner);
  await contracts.checkGovernanceVersions(governance);
  return governance;
}
