import type { Provider, Signer } from "ethers";
import {
  DataAcquisition__factory,
  DataNameRegistry__factory,
  DataSharing__factory,
  TerminalRegistry__factory,
} from "../../typechain-types";
import {
  CONTRACT_VERSION,
  connectCore,
  connectGovernance,
  type CoreContracts,
  type GovernanceContracts,
  versionMismatch,
} from "./contracts";
import {
  deploymentPath,
  readDeployment,
  writeDeployment,
  type ContractName,
  type DeployedContract,
  type Deployment,
} from "./deployments.node";
import { DEFAULT_POLICIES } from "./policies";

export interface DeployCoreOptions {
  signer: Signer;
  /** Network name for the deployments file (hardhat, localhost, anvil, custom...). */
  network: string;
  dir?: string;
  /** Admin of every contract; defaults to the signer. */
  admin?: string;
  /** Set DEFAULT_POLICIES for data types that have no enabled policy (default true). */
  defaultPolicies?: boolean;
  log?: (line: string) => void;
}

export interface DeployCoreResult {
  path: string;
  deployment: Deployment;
  contracts: CoreContracts;
  /** DataSharing and DataNameRegistry. */
  governance: GovernanceContracts;
  /** Names of contracts deployed by this call (empty when everything was reused). */
  deployed: ContractName[];
  /** Data types whose default policy this call set. */
  policiesSet: number[];
}

/**
 * Why a recorded contract cannot be reused: no entry, no code at its address (node reset), or another version
 * than {@link CONTRACT_VERSION}; undefined when it is live and current.
 */
async function staleReason(
  name: ContractName,
  provider: Provider,
  entry: DeployedContract | undefined,
): Promise<string | undefined> {
  if (!entry) return "not deployed";
  if ((await provider.getCode(entry.address)) === "0x") return `no code at ${entry.address} (node reset?)`;
  const mismatch = await versionMismatch({
    name,
    address: entry.address,
    contract: FACTORIES[name].connect(entry.address, provider),
  });
  return mismatch && `${mismatch}, expected ${CONTRACT_VERSION}`;
}

const FACTORIES = {
  TerminalRegistry: TerminalRegistry__factory,
  DataAcquisition: DataAcquisition__factory,
  DataSharing: DataSharing__factory,
  DataNameRegistry: DataNameRegistry__factory,
} as const;

/**
 * Deployments files written by this process. The in-process `hardhat` network starts empty in every process, so its
 * file from an earlier process is stale even where its addresses hold code: a test fixture deployed from the same
 * account at the same nonce lands on the same address, with other settings.
 */
const writtenThisProcess = new Set<string>();

/** What each contract is wired to at construction: redeploying one forces its dependants to be redeployed. */
const DEPENDS_ON: Record<ContractName, ContractName[]> = {
  TerminalRegistry: [],
  DataAcquisition: ["TerminalRegistry"],
  DataSharing: ["DataAcquisition"],
  DataNameRegistry: ["DataAcquisition", "DataSharing"],
};

/**
 * Deploys TerminalRegistry, DataAcquisition, DataSharing and DataNameRegistry (in that order) unless the deployments
 * file already points at live code of this release, and records them in `deployments/<network>-<chainId>.json`. A contract whose
 * dependency was redeployed is redeployed too. Safe to re-run: a second run sends nothing.
 */
export async function deployCore(options: DeployCoreOptions): Promise<DeployCoreResult> {
  const { signer, network } = options;
  const log = options.log ?? (() => undefined);
  const provider = signer.provider;
  if (!provider) throw new Error("deployCore: the signer has no provider");
  const chainId = Number((await provider.getNetwork()).chainId);
  const deployer = await signer.getAddress();
  const admin = options.admin ?? deployer;
  const path = deploymentPath(network, chainId, options.dir);
  const previous = network === "hardhat" && !writtenThisProcess.has(path) ? undefined : readDeployment(path);
  const contracts: Deployment["contracts"] = { ...(previous?.contracts ?? {}) };
  const deployed: ContractName[] = [];

  async function ensure(
    name: ContractName,
    deploy: () => Promise<{ address: string; txHash: string; version: string }>,
  ) {
    if (DEPENDS_ON[name].some((d) => deployed.includes(d))) delete contracts[name];
    const stale = await staleReason(name, provider!, contracts[name]);
    if (stale === undefined) {
      log(`${name}: reusing ${contracts[name]!.address}`);
      return;
    }
    if (contracts[name]) log(`${name}: ${stale}, deploying again`);
    const d = await deploy();
    const receipt = await provider!.getTransactionReceipt(d.txHash);
    contracts[name] = {
      address: d.address,
      txHash: d.txHash,
      blockNumber: receipt?.blockNumber ?? 0,
      version: d.version,
    };
    deployed.push(name);
    log(`${name}: deployed at ${d.address}`);
  }

  await ensure("TerminalRegistry", async () => {
    const c = await new TerminalRegistry__factory(signer).deploy(admin);
    await c.waitForDeployment();
    return { address: await c.getAddress(), txHash: c.deploymentTransaction()!.hash, version: await c.version() };
  });
  const registryAddress = contracts.TerminalRegistry!.address;
  await ensure("DataAcquisition", async () => {
    const c = await new DataAcquisition__factory(signer).deploy(registryAddress, admin);
    await c.waitForDeployment();
    return { address: await c.getAddress(), txHash: c.deploymentTransaction()!.hash, version: await c.version() };
  });
  const acquisitionAddress = contracts.DataAcquisition!.address;
  await ensure("DataSharing", async () => {
    const c = await new DataSharing__factory(signer).deploy(acquisitionAddress, admin);
    await c.waitForDeployment();
    return { address: await c.getAddress(), txHash: c.deploymentTransaction()!.hash, version: await c.version() };
  });
  const sharingAddress = contracts.DataSharing!.address;
  await ensure("DataNameRegistry", async () => {
    const c = await new DataNameRegistry__factory(signer).deploy(acquisitionAddress, sharingAddress, admin);
    await c.waitForDeployment();
    return { address: await c.getAddress(), txHash: c.deploymentTransaction()!.hash, version: await c.version() };
  });

  const core = connectCore({ registry: registryAddress, acquisition: contracts.DataAcquisition!.address }, signer);
  const policiesSet: number[] = [];
  if (options.defaultPolicies ?? true) {
    for (const [type, policy] of Object.entries(DEFAULT_POLICIES)) {
      const dataType = Number(type);
      if ((await core.acquisition.policyOf(dataType)).enabled) continue;
      await (await core.acquisition.setPolicy(dataType, policy)).wait();
      policiesSet.push(dataType);
      log(`policy for data type ${dataType} set to the default`);
    }
  }

  const deployment: Deployment = { network, chainId, deployer, updatedAt: new Date().toISOString(), contracts };
  if (deployed.length > 0 || !previous) writeDeployment(path, deployment);
  writtenThisProcess.add(path);
  const governance = connectGovernance({ names: contracts.DataNameRegistry!.address, sharing: sharingAddress }, signer);
  return { path, deployment, contracts: core, governance, deployed, policiesSet };
}
