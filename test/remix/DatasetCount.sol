// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title DatasetCount
/// @author GridLedger
/// @notice Stands in for DataSharing, of which the naming service reads only the dataset count: the four real
/// contracts' creation code together passes the 48 KiB init-code limit of one test contract.
contract DatasetCount {
    /// @notice How many datasets exist (ids 1..count).
    uint64 public datasetCount;

    /// @notice Sets the count.
    /// @param count The new count.
    function setDatasetCount(uint64 count) external {
        datasetCount = count;
    }
}
