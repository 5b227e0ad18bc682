// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IVersioned
/// @author GridLedger
/// @notice What every GridLedger deployable answers, so tools can check what they are talking to before they
/// send anything (src/chain/contracts.ts `checkVersions`).
interface IVersioned {
    /// @notice The contract's semantic version; every deployable of one release answers the same string.
    /// @return The version, e.g. "2.0.0".
    function version() external view returns (string memory);
}
