import type { ContractRunner, InterfaceAbi } from "ethers";
// Direct paths rather than the typechain index, which pulls in every contract's factory and bytecode.
import { DataAcquisition__factory } from "../../typechain-types/factories/contracts/DataAcquisition__factory";
import { DataNameRegistry__factory } from "../../typechain-types/factories/contracts/DataNameRegistry__factory";
import { DataSharing__factory } from "../../typechain-types/factories/contracts/DataSharing__factory";
import { TerminalRegistry__factory } from "../../typechain-types/factories/contracts/TerminalRegistry__factory";
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

export function connectCore(
  addresses: { registry: string; acquisition: string },
  runner: ContractRunner,
): CoreContracts {
  return {
    registry: TerminalRegistry__factory.connect(addresses.registry, runner),
    acquisition: DataAcquisition__factory.connect(addresses.acquisition, runner),
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
    names: DataNameRegistry__factory.connect(addresses.names, runner),
    sharing: DataSharing__factory.connect(addresses.sharing, runner),
  };
}

/** Every custom error the deployable contracts can raise, for decoding reverts. */
export const CORE_INTERFACES = [
  TerminalRegistry__factory.createInterface(),
  DataAcquisition__factory.createInterface(),
  DataSharing__factory.createInterface(),
  DataNameRegistry__factory.createInterface(),
];
