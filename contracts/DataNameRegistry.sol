// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {IDataAcquisition} from "./interfaces/IDataAcquisition.sol";
import {GridLedgerBase} from "./abstract/GridLedgerBase.sol";
import {IDataNameRegistry} from "./interfaces/IDataNameRegistry.sol";
import {IDataSharing} from "./interfaces/IDataSharing.sol";
import {ITerminalRegistry} from "./interfaces/ITerminalRegistry.sol";
import {NameHash} from "./libraries/NameHash.sol";
import {NameTooLong} from "./libraries/NameHash.sol";
import {UnknownDataset, UnknownRoot, UnknownTerminal, ZeroAddress} from "./Common.sol";

/// @title DataNameRegistry
/// @author GridLedger
/// @notice The block naming service of P000: DNS-like names ("gz.ieee39.bus13.pmu") for terminals, anchored batches,
/// shared datasets and metadata. Holders of ROOT_REGISTRAR_ROLE create top-level names; from there on the owner of
/// a name alone creates its sub-names, transfers it and sets what it resolves to.
/// @dev Names are ENS namehashes (NameHash). A target is checked against the contract it refers to when it is set
/// (terminal registered, batch anchored, dataset registered), so a name never points at something that never
/// existed. A full path can be created in one transaction through {Multicall}.
contract DataNameRegistry is IDataNameRegistry, GridLedgerBase, Multicall {
    /// @notice May create top-level names (directly under the root).
    bytes32 public constant ROOT_REGISTRAR_ROLE = keccak256("ROOT_REGISTRAR_ROLE");

    IDataAcquisition private immutable _acquisition;
    ITerminalRegistry private immutable _registry;
    IDataSharing private immutable _sharing;

    mapping(bytes32 node => NameRecord record) private _names;
    mapping(bytes32 node => string uri) private _uris;

    /// @notice Deploys the naming service over the contracts its names point at.
    /// @param acquisition_ The DataAcquisition contract (batches; its registry holds the terminals).
    /// @param sharing_ The DataSharing contract (datasets).
    /// @param admin Receives the admin and root-registrar roles.
    constructor(IDataAcquisition acquisition_, IDataSharing sharing_, address admin) GridLedgerBase(admin) {
        if (address(acquisition_) == address(0)) revert ZeroAddress("acquisition");
        if (address(sharing_) == address(0)) revert ZeroAddress("sharing");
        _acquisition = acquisition_;
        _registry = acquisition_.registry();
        _sharing = sharing_;
        _grantRole(ROOT_REGISTRAR_ROLE, admin);
    }

    // ---------------------------------------------------------------- modifiers

    modifier onlyNameOwner(bytes32 node) {
        _checkNameOwner(node);
        _;
    }

    // ---------------------------------------------------------------- external: names

    /// @inheritdoc IDataNameRegistry
    function registerTopLevel(
        string calldata label,
        address owner
    ) external onlyRole(ROOT_REGISTRAR_ROLE) returns (bytes32 node) {
        return _register(bytes32(0), 0, label, owner);
    }

    /// @inheritdoc IDataNameRegistry
    function registerSubname(
        bytes32 parent,
        string calldata label,
        address owner
    ) external onlyNameOwner(parent) returns (bytes32 node) {
        // The parent's length plus the dot.
        return _register(parent, uint256(_names[parent].nameLength) + 1, label, owner);
    }

    /// @inheritdoc IDataNameRegistry
    function transfer(bytes32 node, address newOwner) external onlyNameOwner(node) {
        if (newOwner == address(0)) revert ZeroAddress("newOwner");
        NameRecord storage record = _names[node];
        address from = record.owner;
        record.owner = newOwner;
        emit NameTransferred(node, from, newOwner);
    }

    // ---------------------------------------------------------------- external: targets

    /// @inheritdoc IDataNameRegistry
    function setTerminalTarget(bytes32 node, bytes32 terminalId) external onlyNameOwner(node) {
        (, ITerminalRegistry.TerminalStatus status) = _registry.signerAndStatus(terminalId);
        if (status == ITerminalRegistry.TerminalStatus.Unregistered) revert UnknownTerminal(terminalId);
        _setTarget(node, TargetKind.Terminal, terminalId, "");
    }

    /// @inheritdoc IDataNameRegistry
    function setBatchTarget(bytes32 node, bytes32 merkleRoot) external onlyNameOwner(node) {
        if (_acquisition.batchByRoot(merkleRoot).anchoredAt == 0) revert UnknownRoot(merkleRoot);
        _setTarget(node, TargetKind.Batch, merkleRoot, "");
    }

    /// @inheritdoc IDataNameRegistry
    function setDatasetTarget(bytes32 node, uint64 datasetId) external onlyNameOwner(node) {
        if (datasetId == 0 || datasetId > _sharing.datasetCount()) revert UnknownDataset(datasetId);
        _setTarget(node, TargetKind.Dataset, bytes32(uint256(datasetId)), "");
    }

    /// @inheritdoc IDataNameRegistry
    function setMetadataURI(bytes32 node, string calldata uri) external onlyNameOwner(node) {
        if (bytes(uri).length == 0) revert EmptyMetadataURI();
        _setTarget(node, TargetKind.MetadataURI, bytes32(0), uri);
    }

    /// @inheritdoc IDataNameRegistry
    function clearTarget(bytes32 node) external onlyNameOwner(node) {
        _setTarget(node, TargetKind.None, bytes32(0), "");
    }

    // ---------------------------------------------------------------- external: views

    /// @inheritdoc IDataNameRegistry
    function resolve(bytes32 node) external view returns (Target memory) {
        return _resolve(node);
    }

    /// @inheritdoc IDataNameRegistry
    function resolveName(string calldata name) external view returns (Target memory) {
        return _resolve(NameHash.namehash(name));
    }

    /// @inheritdoc IDataNameRegistry
    function getName(bytes32 node) external view returns (NameRecord memory) {
        _checkRegistered(node);
        return _names[node];
    }

    /// @inheritdoc IDataNameRegistry
    function ownerOf(bytes32 node) external view returns (address) {
        return _names[node].owner;
    }

    /// @inheritdoc IDataNameRegistry
    function namehash(string calldata name) external pure returns (bytes32) {
        return NameHash.namehash(name);
    }

    /// @inheritdoc IDataNameRegistry
    function checkLabel(string calldata label) external pure {
        NameHash.checkLabel(label);
    }

    /// @notice The contracts names point at.
    /// @return acquisition_ The DataAcquisition contract.
    /// @return registry_ The TerminalRegistry it reads.
    /// @return sharing_ The DataSharing contract.
    function targets()
        external
        view
        returns (IDataAcquisition acquisition_, ITerminalRegistry registry_, IDataSharing sharing_)
    {
        return (_acquisition, _registry, _sharing);
    }

    // ---------------------------------------------------------------- internal

    /// @dev Checks the label and total length, writes the new name once and emits {NameRegistered}.
    function _register(
        bytes32 parent,
        uint256 prefixLength,
        string calldata label,
        address owner
    ) internal returns (bytes32 node) {
        NameHash.checkLabel(label);
        uint256 length = prefixLength + bytes(label).length;
        if (length > NameHash.MAX_NAME_LENGTH) revert NameTooLong(length, NameHash.MAX_NAME_LENGTH);
        if (owner == address(0)) revert ZeroAddress("owner");
        node = NameHash.child(parent, label);
        NameRecord storage record = _names[node];
        if (record.owner != address(0)) revert NameAlreadyRegistered(node);
        record.owner = owner;
        // A name is at most 253 bytes (checked above), so the length fits in 16 bits.
        record.nameLength = uint16(length);
        record.registeredAt = _now();
        emit NameRegistered(node, parent, label, owner);
    }

    function _setTarget(bytes32 node, TargetKind kind, bytes32 value, string memory uri) internal {
        NameRecord storage record = _names[node];
        record.kind = kind;
        record.target = value;
        if (kind == TargetKind.MetadataURI || bytes(_uris[node]).length != 0) _uris[node] = uri;
        emit TargetSet(node, kind, value, uri);
    }

    function _resolve(bytes32 node) internal view returns (Target memory) {
        _checkRegistered(node);
        NameRecord storage record = _names[node];
        return Target({kind: record.kind, value: record.target, uri: _uris[node]});
    }

    /// @dev Reverts unless the caller owns the (registered) name.
    function _checkNameOwner(bytes32 node) internal view {
        address owner = _checkRegistered(node);
        if (msg.sender != owner) revert NotNameOwner(node, msg.sender, owner);
    }

    /// @dev Reverts for an unknown name; returns its owner.
    function _checkRegistered(bytes32 node) internal view returns (address owner) {
        owner = _names[node].owner;
        if (owner == address(0)) revert NameNotRegistered(node);
    }
}
