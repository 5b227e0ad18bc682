// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Clock} from "../../abstract/Clock.sol";
import {DataAcquisition} from "../../DataAcquisition.sol";
import {ITerminalRegistry} from "../../interfaces/ITerminalRegistry.sol";
import {PinnedClock} from "./PinnedClock.sol";

/// @title PinnedDataAcquisition
/// @author GridLedger
/// @notice Test harness, never deployed: DataAcquisition on a clock tests can pin ({PinnedClock}).
contract PinnedDataAcquisition is DataAcquisition, PinnedClock {
    /// @notice Deploys with the same arguments as DataAcquisition.
    /// @param registry_ As in DataAcquisition.
    /// @param admin As in DataAcquisition.
    constructor(ITerminalRegistry registry_, address admin) DataAcquisition(registry_, admin) {}

    function _now() internal view override(Clock, PinnedClock) returns (uint40) {
        return PinnedClock._now();
    }
}
