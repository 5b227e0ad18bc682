// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVersioned} from "../interfaces/IVersioned.sol";

/// @title GridLedgerBase
/// @author GridLedger
/// @notice What the four deployables share: one version string and one clock.
/// @dev Every time the contracts read or store goes through {_now}, so a test harness can pin the clock by
/// overriding it (as EAS's `_time()`); nothing reads `block.timestamp` directly.
abstract contract GridLedgerBase is IVersioned {
    /// @notice The release every deployable of this source tree reports; tools refuse any other.
    string internal constant VERSION = "2.0.0";

    /// @inheritdoc IVersioned
    function version() external pure returns (string memory) {
        return VERSION;
    }

    /// @dev The clock in unix seconds. uint40 lasts until the year 36812.
    function _now() internal view virtual returns (uint40) {
        return uint40(block.timestamp);
    }
}
