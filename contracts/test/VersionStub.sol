// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title VersionStub
/// @author GridLedger
/// @notice Test harness, never deployed: answers `version()` with a set string, standing in for a deployment of
/// another release so tests can check that the tools refuse it.
contract VersionStub {
    /// @notice The version this stub reports.
    string public version;

    /// @notice Deploys a stub reporting `version_`.
    /// @param version_ The version to report.
    constructor(string memory version_) {
        version = version_;
    }
}
