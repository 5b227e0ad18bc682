// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {DataAcquisition} from "../contracts/DataAcquisition.sol";
import {DataNameRegistry} from "../contracts/DataNameRegistry.sol";
import {DataSharing} from "../contracts/DataSharing.sol";
import {TerminalRegistry} from "../contracts/TerminalRegistry.sol";
import {IDataAcquisition} from "../contracts/interfaces/IDataAcquisition.sol";
import {IDataSharing} from "../contracts/interfaces/IDataSharing.sol";
import {ITerminalRegistry} from "../contracts/interfaces/ITerminalRegistry.sol";

// remix-tests compiles without via-IR, and a test contract that creates several of the real contracts with `new`
// carries all their creation code, past the 48 KiB init-code limit (EIP-3860). Each contract is created instead by
// a linked library's public function: the test contract holds only a DELEGATECALL to it, and the created contract's
// deployer is still the test contract.

/// @title TerminalRegistryDeployer
/// @author GridLedger
/// @notice Creates a TerminalRegistry for a remix-tests test contract.
library TerminalRegistryDeployer {
    /// @notice Creates a registry administered by `admin`.
    /// @param admin The default admin.
    /// @return The new registry.
    function deploy(address admin) public returns (TerminalRegistry) {
        return new TerminalRegistry(admin);
    }
}

/// @title DataAcquisitionDeployer
/// @author GridLedger
/// @notice Creates a DataAcquisition for a remix-tests test contract.
library DataAcquisitionDeployer {
    /// @notice Creates an anchor contract over `registry`, administered by `admin`.
    /// @param registry The terminal registry.
    /// @param admin The default admin.
    /// @return The new anchor contract.
    function deploy(ITerminalRegistry registry, address admin) public returns (DataAcquisition) {
        return new DataAcquisition(registry, admin);
    }
}

/// @title DataNameRegistryDeployer
/// @author GridLedger
/// @notice Creates a DataNameRegistry for a remix-tests test contract.
library DataNameRegistryDeployer {
    /// @notice Creates a naming service over the anchor and sharing contracts, administered by `admin`.
    /// @param acquisition The anchor contract.
    /// @param sharing The sharing contract (or a stand-in with its dataset count).
    /// @param admin The default admin.
    /// @return The new naming service.
    function deploy(
        IDataAcquisition acquisition,
        IDataSharing sharing,
        address admin
    ) public returns (DataNameRegistry) {
        return new DataNameRegistry(acquisition, sharing, admin);
    }
}

/// @title DataSharingDeployer
/// @author GridLedger
/// @notice Creates a DataSharing for a remix-tests test contract.
library DataSharingDeployer {
    /// @notice Creates a sharing contract over `acquisition`, administered by `admin`.
    /// @param acquisition The anchor contract.
    /// @param admin The default admin.
    /// @return The new sharing contract.
    function deploy(IDataAcquisition acquisition, address admin) public returns (DataSharing) {
        return new DataSharing(acquisition, admin);
    }
}
