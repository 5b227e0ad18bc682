// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Clock
/// @author GridLedger
/// @notice The one clock of the GridLedger contracts.
/// @dev Every time the contracts read or store goes through {_now}, so a test harness can pin the clock by
/// overriding it (as EAS's `_time()`); nothing reads `block.timestamp` directly.
abstract contract Clock {
    /// @dev The clock in unix seconds. uint40 lasts until the year 36812.
    function _now() internal view virtual returns (uint40) {
        return uint40(block.timestamp);
    }
}
