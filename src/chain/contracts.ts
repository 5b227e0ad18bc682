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

/** Every custom error the deployable contracts can raise, for decoding reverts. */
export const CORE_INTERFACES = [
  new Interface(TerminalRegistryAbi),
  new Interface(DataAcquisitionAbi),
  new Interface(DataSharingAbi),
  new Interface(DataNameRegistryAbi),
];
