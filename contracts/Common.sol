// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Thrown when a required address argument is the zero address.
/// @param what The name of the argument that was zero.
error ZeroAddress(string what);

/// @notice Thrown when a terminal id is not registered in the TerminalRegistry.
/// @param terminalId The unknown terminal.
error UnknownTerminal(bytes32 terminalId);

/// @notice Thrown when a Merkle root was never anchored by DataAcquisition (batches are named by their root).
/// @param merkleRoot The unknown root.
error UnknownRoot(bytes32 merkleRoot);

/// @notice Thrown when a dataset id was never registered in DataSharing (ids run from 1 to datasetCount()).
/// @param datasetId The unknown dataset.
error UnknownDataset(uint64 datasetId);
