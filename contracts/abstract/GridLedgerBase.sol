// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IVersioned} from "../interfaces/IVersioned.sol";
import {Clock} from "./Clock.sol";
import {ZeroAddress} from "../Common.sol";

/// @title GridLedgerBase
/// @author GridLedger
/// @notice What the four deployables share: one version string, one clock and a two-step admin handover.
/// @dev Every time the contracts read or store goes through {Clock-_now}. The admin role follows OZ
/// {AccessControlDefaultAdminRules}: one holder, handed over (or renounced) only by a transfer the new admin
/// accepts after {INITIAL_ADMIN_DELAY} (changeable by the admin, itself with a delay). Those schedules are OZ's and
/// run on the block clock.
abstract contract GridLedgerBase is IVersioned, Clock, AccessControlDefaultAdminRules {
    /// @notice The release every deployable of this source tree reports; tools refuse any other.
    string internal constant VERSION = "2.0.0";
    /// @notice How long a scheduled admin handover waits before the new admin can accept it, at deployment.
    uint48 public constant INITIAL_ADMIN_DELAY = 3 days;

    /// @notice Makes `admin` the one default admin.
    /// @param admin The first admin; must not be zero.
    constructor(address admin) AccessControlDefaultAdminRules(INITIAL_ADMIN_DELAY, _nonZeroAdmin(admin)) {}

    /// @inheritdoc IVersioned
    function version() external pure returns (string memory) {
        return VERSION;
    }

    /// @dev Checks the admin before OZ's constructor does, so the error names the argument like every other one.
    function _nonZeroAdmin(address admin) private pure returns (address) {
        if (admin == address(0)) revert ZeroAddress("admin");
        return admin;
    }
}
