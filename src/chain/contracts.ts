import { Contract, Interface, type BaseContract, type ContractRunner, type InterfaceAbi } from "ethers";
// The exported ABIs (kept current by test/sdk/package.test.ts) rather than TypeChain's factories, which carry
// every contract's bytecode into the SDK package; the TypeChain types still type every handle.
import DataAcquisitionAbi from "../../abi/DataAcquisition.json";
import DataNameRegistryAbi from "../../abi/DataNameRegistry.json";
import DataSharingAbi from "../../abi/DataSharing.json";
import TerminalRegistryAbi from "../../abi/TerminalRegistry.json";
import type { DataAcquisition } from "../../typechain-types/contracts/DataAcquisition";
import type { DataNameRegistry } from "../../typechain-types/contracts/DataNameRegistry";
import type { DataSharing } from "../../typechain-types/contracts/DataSharing";
import type { TerminalRegistry } from "../../typechain-types/contracts/TerminalRegistry";

export type { DataAcquisition, DataNameRegistry, DataSharing, TerminalRegistry };

/** A deployed contract for an optional client module: its address and, optionally, an ABI (default: the SDK's own fragment). */
export interface ContractModule {
  address: string;
  abi?: InterfaceAbi;
}

/** The core contracts of a deployment, connected to one runner (provider or signer). */
export interface CoreContracts {
  registry: TerminalRegistry;
  acquisition: DataAcquisition;
}

/** A typed handle on a deployed contract: ethers' Contract over its ABI, typed as TypeChain's own `connect` types it. */
function attach<T extends BaseContract>(abi: InterfaceAbi, address: string, runner: ContractRunner): T {
  return new Contract(address, abi, runner) as unknown as T;
}

export function connectCore(
  addresses: { registry: string; acquisition: string },
  runner: ContractRunner,
): CoreContracts {
  return {
    registry: attach<TerminalRegistry>(TerminalRegistryAbi, addresses.registry, runner),
    acquisition: attach<DataAcquisition>(DataAcquisitionAbi, addresses.acquisition, runner),
  };
}

/** The naming and sharing contracts of a deployment (P000's governance layer), connected to one runner. */
export interface GovernanceContracts {
  names: DataNameRegistry;
  sharing: DataSharing;
}

export function connectGovernance(
  addresses: { names: string; sharing: string },
  runner: ContractRunner,
): GovernanceContracts {
  return {
    names: attach<DataNameRegistry>(DataNameRegistryAbi, addresses.names, runner),
    sharing: attach<DataSharing>(DataSharingAbi, addresses.sharing, runner),
  };
}

/**
 * The release of the contracts this code was built against: every deployable answers it from `version()`
 * (contracts/abstract/GridLedgerBase.sol). Tools refuse a deployment that answers anything else, because calls
 * encoded for one release can mean something else, or revert opaquely, on another.
 */
export const CONTRACT_VERSION = "2.0.0";

/** A deployed contract to check: its name for messages, its address, and anything with `version()`. */
export interface VersionedContract {
  name: string;
  address: string;
  contract: { version(): Promise<string> };
}

/** Why a contract does not match {@link CONTRACT_VERSION} ("X at 0x… is version 1.0.0"), or undefined. */
export async function versionMismatch({ name, address, contract }: VersionedContract): Promise<string | undefined> {
  let found: string;
  try {
    found = await contract.version();
  } catch {
    found = "unknown (no version() at that address)";
  }
  return found === CONTRACT_VERSION ? undefined : `${name} at ${address} is version ${found}`;
}

/**
 * Reads `version()` from each contract and throws one error naming every contract, address and found version that
 * does not match the expected one (including contracts that do not answer: an older build or another contract).
 */
export async function checkVersions(contracts: readonly VersionedContract[]): Promise<void> {
  const problems = (await Promise.all(contracts.map(versionMismatch))).filter((p) => p !== undefined);
  if (problems.length > 0) {
    throw new Error(
      `${problems.join("; ")}, but these tools expect version ${CONTRACT_VERSION}: deploy a matching release (grid:deploy) or use the tools that match the deployment`,
    );
  }
}

/** Checks the versions of the core contracts (see {@link checkVersions}). */
export async function checkCoreVersions(core: CoreContracts): Promise<void> {
  await checkVersions([
    { name: "TerminalRegistry", address: await core.registry.getAddress(), contract: core.registry },
    { name: "DataAcquisition", address: await core.acquisition.getAddress(), contract: core.acquisition },
  ]);
}

/** Checks the versions of the governance contracts (see {@link checkVersions}). */
export async function checkGovernanceVersions(governance: GovernanceContracts): Promise<void> {
  await checkVersions([
    { name: "DataSharing", address: await governance.sharing.getAddress(), contract: governance.sharing },
    { name: "DataNameRegistry", address: await governance.names.getAddress(), contract: governance.names },
  ]);
}

/** Every custom error the deployable contracts can raise, for decoding reverts. */
export const CORE_INTERFACES = [
  new Interface(TerminalRegistryAbi),
  new Interface(DataAcquisitionAbi),
  new Interface(DataSharingAbi),
  new Interface(DataNameRegistryAbi),
];
