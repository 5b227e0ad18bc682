import type { ContractRunner } from "ethers";
// Direct paths rather than the typechain index, which pulls in every contract's factory and bytecode.
import { DataAcquisition__factory } from "../../typechain-types/factories/contracts/DataAcquisition__factory";
import { TerminalRegistry__factory } from "../../typechain-types/factories/contracts/TerminalRegistry__factory";
import type { DataAcquisition } from "../../typechain-types/contracts/DataAcquisition";
import type { TerminalRegistry } from "../../typechain-types/contracts/TerminalRegistry";

export type { DataAcquisition, TerminalRegistry };

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

/** Every custom error the core contracts can raise, for decoding reverts. */
export const CORE_INTERFACES = [
  TerminalRegistry__factory.createInterface(),
  DataAcquisition__factory.createInterface(),
];
