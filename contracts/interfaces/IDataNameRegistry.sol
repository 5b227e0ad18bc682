// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVersioned} from "./IVersioned.sol";

/// @title IDataNameRegistry
/// @author GridLedger
/// @notice The block naming service of P000 (Fig. 1, "naming service"): hierarchical, human-readable names such as
/// "gz.ieee39.bus13.pmu", hashed ENS-style (namehash), each resolving to one typed target.
/// @dev Labels are passed as strings so the contract can enforce the naming rules (see NameHash) and indexers can
/// rebuild every full name from {NameRegistered} events alone (node, parent, label).
interface IDataNameRegistry is IVersioned {
    /// @notice What a name points at.
    enum TargetKind {
        None,
        Terminal,
        Batch,
        Dataset,
        MetadataURI
    }

    /// @notice What is stored per name (one slot, plus the target value).
    struct NameRecord {
        address owner;
        TargetKind kind;
        /// @dev Bytes of the full dotted name, so sub-names can enforce the total length.
        uint16 nameLength;
        uint40 registeredAt;
        /// @dev The terminal id, the batch's Merkle root, or the dataset id as a left-padded integer; zero for None and
        /// MetadataURI.
        bytes32 target;
    }

    /// @notice What a name resolves to.
    struct Target {
        TargetKind kind;
        /// @dev Terminal id, batch Merkle root, or dataset id as a left-padded integer; zero for None and MetadataURI.
        bytes32 value;
        /// @dev Set for MetadataURI only.
        string uri;
    }

    /// @notice A name with this node is already registered.
    error NameAlreadyRegistered(bytes32 node);
    /// @notice No name with this node is registered.
    error NameNotRegistered(bytes32 node);
    /// @notice The caller does not own the name.
    error NotNameOwner(bytes32 node, address caller, address owner);
    /// @notice A metadata URI target is empty.
    error EmptyMetadataURI();

    /// @notice Emitted when a name is created. Indexers rebuild the full name by following `parent`.
    /// @param node The new name's namehash.
    /// @param parent The parent's namehash (zero for a top-level name).
    /// @param label The new label.
    /// @param owner Its first owner.
    event NameRegistered(bytes32 indexed node, bytes32 indexed parent, string label, address indexed owner);
    /// @notice Emitted when a name changes owner.
    /// @param node The name.
    /// @param from The previous owner.
    /// @param to The new owner.
    event NameTransferred(bytes32 indexed node, address indexed from, address indexed to);
    /// @notice Emitted when a name's target is set or cleared.
    /// @param node The name.
    /// @param kind The new target kind (None when cleared).
    /// @param value The terminal id, the batch's Merkle root, or the dataset id as a left-padded integer; zero otherwise.
    /// @param uri The metadata URI for MetadataURI targets; empty otherwise.
    event TargetSet(bytes32 indexed node, TargetKind kind, bytes32 value, string uri);

    /// @notice Creates a top-level name (a label directly under the root), such as "gz".
    /// @param label A valid label.
    /// @param owner Its owner.
    /// @return node The new name's namehash.
    function registerTopLevel(string calldata label, address owner) external returns (bytes32 node);

    /// @notice Creates `label` under a name the caller owns.
    /// @param parent The parent's namehash.
    /// @param label A valid label.
    /// @param owner The sub-name's owner.
    /// @return node The new name's namehash.
    function registerSubname(bytes32 parent, string calldata label, address owner) external returns (bytes32 node);

    /// @notice Hands a name the caller owns to another owner. The parent's owner keeps no say over it.
    /// @param node The name.
    /// @param newOwner The new owner.
    function transfer(bytes32 node, address newOwner) external;

    /// @notice Points a name at a registered terminal.
    /// @param node A name the caller owns.
    /// @param terminalId A terminal registered in the TerminalRegistry.
    function setTerminalTarget(bytes32 node, bytes32 terminalId) external;

    /// @notice Points a name at an anchored batch, named by its Merkle root.
    /// @dev Not by batch id: ids follow inclusion order, so a reorg that reorders two anchors swaps them, while a
    /// root names the same records on every fork.
    /// @param node A name the caller owns.
    /// @param merkleRoot A root anchored in DataAcquisition.
    function setBatchTarget(bytes32 node, bytes32 merkleRoot) external;

    /// @notice Points a name at a registered dataset.
    /// @param node A name the caller owns.
    /// @param datasetId A dataset id of DataSharing (1 to datasetCount()).
    function setDatasetTarget(bytes32 node, uint64 datasetId) external;

    /// @notice Points a name at a metadata URI.
    /// @param node A name the caller owns.
    /// @param uri A non-empty URI.
    function setMetadataURI(bytes32 node, string calldata uri) external;

    /// @notice Removes a name's target.
    /// @param node A name the caller owns.
    function clearTarget(bytes32 node) external;

    /// @notice What a registered name resolves to. Reverts for an unknown name.
    /// @param node The name.
    /// @return The target.
    function resolve(bytes32 node) external view returns (Target memory);

    /// @notice Like {resolve}, by dotted name ("gz.ieee39.bus13.pmu"); reverts on a malformed name.
    /// @param name The full name.
    /// @return The target.
    function resolveName(string calldata name) external view returns (Target memory);

    /// @notice The stored record of a name. Reverts for an unknown name.
    /// @param node The name.
    /// @return The record.
    function getName(bytes32 node) external view returns (NameRecord memory);

    /// @notice The owner of a name, or zero when it is not registered.
    /// @param node The name.
    /// @return The owner.
    function ownerOf(bytes32 node) external view returns (address);

    /// @notice The namehash of a dotted name, checking the naming rules (the same bytes as src/naming namehash).
    /// @param name The full name; "" is the root.
    /// @return The node.
    function namehash(string calldata name) external pure returns (bytes32);

    /// @notice Reverts with the matching custom error unless `label` is a valid label.
    /// @param label The label.
    function checkLabel(string calldata label) external pure;
}
