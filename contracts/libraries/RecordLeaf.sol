// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice One record as it is committed to in a batch Merkle tree.
/// @dev Field order and ABI types are the OpenZeppelin StandardMerkleTree leaf encoding
/// `["bytes32","uint8","uint64","bytes32"]` that `src/merkle` builds off-chain.
struct RecordLeaf {
    /// @dev The terminal that produced the record.
    bytes32 terminalId;
    /// @dev 0 generic, 1 reading, 2 power transaction, 3 event.
    uint8 kind;
    /// @dev Unix seconds of the measurement or trading frame.
    uint64 timestamp;
    /// @dev keccak256 of the RFC 8785 canonical JSON of the record's payload.
    bytes32 payloadHash;
}

/// @title RecordLeaves
/// @author GridLedger
/// @notice Leaf hashing shared by the anchor contract, tests and golden vectors.
library RecordLeaves {
    /// @notice The StandardMerkleTree leaf hash of a record: keccak256(keccak256(abi.encode(fields))).
    /// @param leaf The record's leaf fields.
    /// @return The leaf hash.
    /// @dev The double hash keeps a 64-byte leaf preimage from ever passing for an inner node.
    function hash(RecordLeaf calldata leaf) internal pure returns (bytes32) {
        return
            keccak256(
                bytes.concat(keccak256(abi.encode(leaf.terminalId, leaf.kind, leaf.timestamp, leaf.payloadHash)))
            );
    }
}
