// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RecordLeaf, RecordLeaves} from "../libraries/RecordLeaf.sol";

/// @title RecordLeafHarness
/// @author GridLedger
/// @notice Exposes the leaf hashing library for golden-vector tests. Never deployed.
contract RecordLeafHarness {
    /// @notice The leaf hash of a record.
    /// @param leaf The record's leaf fields.
    /// @return The leaf hash.
    function hash(RecordLeaf calldata leaf) external pure returns (bytes32) {
        return RecordLeaves.hash(leaf);
    }
}
