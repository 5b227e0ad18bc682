// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Clock} from "../../abstract/Clock.sol";
import {DataNameRegistry} from "../../DataNameRegistry.sol";
import {IDataAcquisition} from "../../interfaces/IDataAcquisition.sol";
import {IDataSharing} from "../../interfaces/IDataSharing.sol";
import {PinnedClock} from "./PinnedClock.sol";

/// @title PinnedDataNameRegistry
/// @author GridLedger
/// @notice Test harness, never deployed: DataNameRegistry on a clock tests can pin ({PinnedClock}).
contract PinnedDataNameRegistry is DataNameRegistry, PinnedClock {
    /// @notice Deploys with the same arguments as DataNameRegistry.
    /// @param acquisition_ As in DataNameRegistry.
    /// @param sharing_ As in DataNameRegistry.
    /// @param admin As in DataNameRegistry.
    constructor(
        IDataAcquisition acquisition_,
        IDataSharing sharing_,
        address admin
    ) DataNameRegistry(acquisition_, sharing_, admin) {}

    function _now() internal view override(Clock, PinnedClock) returns (uint40) {
        return PinnedClock._now();
    }
}
