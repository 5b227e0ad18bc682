// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Clock} from "../../abstract/Clock.sol";

/// @title PinnedClock
/// @author GridLedger
/// @notice Test harness mixin, never deployed: pins {Clock-_now} to a set time, so tests can prove that
/// every time a contract reads or stores comes from the one clock (EAS `TestEAS`).
abstract contract PinnedClock is Clock {
    uint40 private _pinned;

    /// @notice Pins the clock; 0 follows the block again.
    /// @param timestamp Unix seconds.
    function setNow(uint40 timestamp) external {
        _pinned = timestamp;
    }

    function _now() internal view virtual override returns (uint40) {
        return _pinned == 0 ? super._now() : _pinned;
    }
}
