// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Clock} from "../../abstract/Clock.sol";
import {TerminalRegistry} from "../../TerminalRegistry.sol";
import {PinnedClock} from "./PinnedClock.sol";

/// @title PinnedTerminalRegistry
/// @author GridLedger
/// @notice Test harness, never deployed: TerminalRegistry on a clock tests can pin ({PinnedClock}).
contract PinnedTerminalRegistry is TerminalRegistry, PinnedClock {
    /// @notice Deploys with the same arguments as TerminalRegistry.
    /// @param admin As in TerminalRegistry.
    constructor(address admin) TerminalRegistry(admin) {}

    function _now() internal view override(Clock, PinnedClock) returns (uint40) {
        return PinnedClock._now();
    }
}
