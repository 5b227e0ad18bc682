// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Clock} from "../../abstract/Clock.sol";
import {DataSharing} from "../../DataSharing.sol";
import {IDataAcquisition} from "../../interfaces/IDataAcquisition.sol";
import {PinnedClock} from "./PinnedClock.sol";

/// @title PinnedDataSharing
/// @author GridLedger
/// @notice Test harness, never deployed: DataSharing on a clock tests can pin ({PinnedClock}).
contract PinnedDataSharing is DataSharing, PinnedClock {
    /// @notice Deploys with the same arguments as DataSharing.
    /// @param acquisition_ As in DataSharing.
    /// @param admin As in DataSharing.
    constructor(IDataAcquisition acquisition_, address admin) DataSharing(acquisition_, admin) {}

    function _now() internal view override(Clock, PinnedClock) returns (uint40) {
        return PinnedClock._now();
    }
}
