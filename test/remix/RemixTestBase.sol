// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import "remix_tests.sol";
import {ITerminalRegistry} from "../contracts/interfaces/ITerminalRegistry.sol";

/// @title Caller
/// @author GridLedger
/// @notice A second account for access-control tests: forwards a call so the target sees this contract as sender.
contract Caller {
    /// @notice Calls `target` with `data` and returns the outcome instead of reverting.
    /// @param target The contract to call.
    /// @param data The calldata.
    /// @return success Whether the call succeeded.
    /// @return result The return or revert data.
    function forward(address target, bytes calldata data) external returns (bool success, bytes memory result) {
        (success, result) = target.call(data);
    }
}

/// @title RemixTestBase
/// @author GridLedger
/// @notice Revert assertions for remix-tests, which has no expectRevert: a custom error is checked with its
/// arguments by comparing the whole revert data.
abstract contract RemixTestBase {
    /// @notice Asserts that `reason` is exactly the ABI encoding `expected` (selector and arguments).
    /// @param reason The revert data caught.
    /// @param expected The expected custom error, e.g. abi.encodeWithSelector(E.selector, args).
    /// @param message What is being checked.
    function assertReverted(bytes memory reason, bytes memory expected, string memory message) internal {
        Assert.equal(keccak256(reason), keccak256(expected), message);
    }

    /// @notice Asserts that a forwarded call failed with exactly `expected`.
    /// @param success The call's success flag (must be false).
    /// @param reason The revert data returned.
    /// @param expected The expected custom error.
    /// @param message What is being checked.
    function assertForwardReverted(
        bool success,
        bytes memory reason,
        bytes memory expected,
        string memory message
    ) internal {
        Assert.ok(!success, string.concat(message, ": the call succeeded"));
        assertReverted(reason, expected, message);
    }

    /// @notice A location on the IEEE 39-bus case.
    /// @param bus The bus number.
    /// @return The location record.
    function _location(uint32 bus) internal pure returns (ITerminalRegistry.Location memory) {
        return ITerminalRegistry.Location({gridId: bytes32("ieee39"), bus: bus, geohash: bytes12(0)});
    }
}
