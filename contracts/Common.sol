// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Thrown when a required address argument is the zero address.
/// @param what The name of the argument that was zero.
error ZeroAddress(string what);
