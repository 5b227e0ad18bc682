// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IDataAcquisition} from "./interfaces/IDataAcquisition.sol";
import {GridLedgerBase} from "./abstract/GridLedgerBase.sol";
import {IDataSharing} from "./interfaces/IDataSharing.sol";
import {ITerminalRegistry} from "./interfaces/ITerminalRegistry.sol";
import {UnknownDataset, UnknownRoot, UnknownTerminal, ZeroAddress} from "./Common.sol";

/// @title DataSharing
/// @author GridLedger
/// @notice P000's provider/receiver sharing model. The admin certifies providers (PROVIDER_ROLE); a provider
/// registers datasets of anchored data and alone grants, revokes and logs deliveries for them; receivers request
/// access and acknowledge receipt. Grants carry an expiry and the encrypted bundle's ciphertext hash.
/// @dev Wired once to DataAcquisition (immutable): registration checks that batch roots were anchored and that a
/// stream's terminal is registered, so a dataset can never point at data that does not exist. Losing the provider
/// role stops new datasets and new grants; revoking and logging stay open to the dataset's provider.
contract DataSharing is IDataSharing, GridLedgerBase {
    /// @notice May register datasets and grant access to them: a certified organisation.
    bytes32 public constant PROVIDER_ROLE = keccak256("PROVIDER_ROLE");
    /// @notice The most batches one dataset may list (bounds registration gas).
    uint256 public constant MAX_BATCHES_PER_DATASET = 1024;

    IDataAcquisition private immutable _acquisition;

    uint64 private _datasetCount;
    mapping(uint64 datasetId => Dataset dataset) private _datasets;
    mapping(uint64 datasetId => mapping(address receiver => Grant grant)) private _grants;

    /// @notice Deploys the sharing contract over an anchor contract.
    /// @param acquisition_ The DataAcquisition contract whose batches datasets refer to.
    /// @param admin Receives the admin role, which certifies providers.
    constructor(IDataAcquisition acquisition_, address admin) GridLedgerBase(admin) {
        if (address(acquisition_) == address(0)) revert ZeroAddress("acquisition");
        _acquisition = acquisition_;
    }

    // ---------------------------------------------------------------- modifiers

    modifier onlyProvider(uint64 datasetId) {
        _checkProvider(datasetId);
        _;
    }

    // ---------------------------------------------------------------- external: datasets

    /// @inheritdoc IDataSharing
    function registerBatchDataset(
        bytes32[] calldata merkleRoots,
        string calldata metadataURI
    ) external onlyRole(PROVIDER_ROLE) returns (uint64 datasetId) {
        uint256 count = merkleRoots.length;
        if (count == 0) revert EmptyBatchList();
        if (count > MAX_BATCHES_PER_DATASET) revert TooManyBatches(count, MAX_BATCHES_PER_DATASET);
        for (uint256 i = 0; i < count; ++i) {
            bytes32 root = merkleRoots[i];
            if (i > 0 && root <= merkleRoots[i - 1]) revert RootsNotIncreasing(i, merkleRoots[i - 1], root);
            if (_acquisition.batchByRoot(root).anchoredAt == 0) revert UnknownRoot(root);
        }

        Dataset storage dataset;
        (datasetId, dataset) = _newDataset(DatasetKind.Batches, metadataURI);
        dataset.merkleRoots = merkleRoots;
        emit BatchDatasetRegistered(datasetId, msg.sender, merkleRoots, metadataURI);
    }

    /// @inheritdoc IDataSharing
    function registerStreamDataset(
        bytes32 terminalId,
        uint64 fromTime,
        uint64 toTime,
        string calldata metadataURI
    ) external onlyRole(PROVIDER_ROLE) returns (uint64 datasetId) {
        if (fromTime >= toTime) revert InvalidTimeRange(fromTime, toTime);
        (, ITerminalRegistry.TerminalStatus status) = _acquisition.registry().signerAndStatus(terminalId);
        if (status == ITerminalRegistry.TerminalStatus.Unregistered) revert UnknownTerminal(terminalId);

        Dataset storage dataset;
        (datasetId, dataset) = _newDataset(DatasetKind.Stream, metadataURI);
        dataset.terminalId = terminalId;
        dataset.fromTime = fromTime;
        dataset.toTime = toTime;
        emit StreamDatasetRegistered(datasetId, msg.sender, terminalId, fromTime, toTime, metadataURI);
    }

    // ---------------------------------------------------------------- external: access

    /// @inheritdoc IDataSharing
    function requestAccess(uint64 datasetId, bytes calldata publicKey, string calldata purpose) external {
        _checkDataset(datasetId);
        if (publicKey.length != 64) revert InvalidPublicKeyLength(publicKey.length);
        address keyAddress = address(uint160(uint256(keccak256(publicKey))));
        if (keyAddress != msg.sender) revert PublicKeyMismatch(msg.sender, keyAddress);
        emit AccessRequested(datasetId, msg.sender, publicKey, purpose);
    }

    /// @inheritdoc IDataSharing
    function grantAccess(
        uint64 datasetId,
        address receiver,
        uint40 expiresAt,
        bytes32 ciphertextHash
    ) external onlyProvider(datasetId) onlyRole(PROVIDER_ROLE) {
        if (receiver == address(0)) revert ZeroAddress("receiver");
        if (expiresAt <= _now()) revert ExpiryNotInFuture(expiresAt, _now());
        if (ciphertextHash == bytes32(0)) revert ZeroCiphertextHash();
        _grants[datasetId][receiver] = Grant({
            grantedAt: _now(),
            expiresAt: expiresAt,
            revokedAt: 0,
            ciphertextHash: ciphertextHash
        });
        emit AccessGranted(datasetId, receiver, expiresAt, ciphertextHash);
    }

    /// @inheritdoc IDataSharing
    function revokeAccess(uint64 datasetId, address receiver) external onlyProvider(datasetId) {
        Grant storage grant = _grants[datasetId][receiver];
        if (grant.grantedAt == 0 || grant.revokedAt != 0) revert NoGrantToRevoke(datasetId, receiver);
        grant.revokedAt = _now();
        emit AccessRevoked(datasetId, receiver);
    }

    /// @inheritdoc IDataSharing
    function recordDelivery(
        uint64 datasetId,
        address receiver,
        bytes32 ciphertextHash
    ) external onlyProvider(datasetId) {
        _checkGrant(datasetId, receiver, ciphertextHash);
        emit DataDelivered(datasetId, receiver, ciphertextHash);
    }

    /// @inheritdoc IDataSharing
    function acknowledgeReceipt(uint64 datasetId, bytes32 ciphertextHash) external {
        _checkDataset(datasetId);
        _checkGrant(datasetId, msg.sender, ciphertextHash);
        emit ReceiptAcknowledged(datasetId, msg.sender, ciphertextHash);
    }

    // ---------------------------------------------------------------- external: views

    /// @inheritdoc IDataSharing
    function isAuthorized(uint64 datasetId, address receiver) external view returns (bool) {
        return _isAuthorized(_grants[datasetId][receiver]);
    }

    /// @inheritdoc IDataSharing
    function grantOf(uint64 datasetId, address receiver) external view returns (Grant memory) {
        return _grants[datasetId][receiver];
    }

    /// @inheritdoc IDataSharing
    function getDataset(uint64 datasetId) external view returns (Dataset memory) {
        _checkDataset(datasetId);
        return _datasets[datasetId];
    }

    /// @inheritdoc IDataSharing
    function datasetIncludesBatch(uint64 datasetId, bytes32 merkleRoot) external view returns (bool) {
        bytes32[] storage roots = _datasets[datasetId].merkleRoots;
        // The roots are strictly increasing (checked at registration): binary search.
        uint256 low = 0;
        uint256 high = roots.length;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            bytes32 root = roots[mid];
            if (root == merkleRoot) return true;
            if (root < merkleRoot) low = mid + 1;
            else high = mid;
        }
        return false;
    }

    /// @inheritdoc IDataSharing
    function datasetCount() external view returns (uint64) {
        return _datasetCount;
    }

    /// @inheritdoc IDataSharing
    function acquisition() external view returns (IDataAcquisition) {
        return _acquisition;
    }

    // ---------------------------------------------------------------- internal

    /// @dev Allocates the next dataset id to the caller and fills the common fields.
    function _newDataset(
        DatasetKind kind,
        string calldata metadataURI
    ) internal returns (uint64 datasetId, Dataset storage dataset) {
        datasetId = ++_datasetCount;
        dataset = _datasets[datasetId];
        dataset.provider = msg.sender;
        dataset.kind = kind;
        dataset.registeredAt = _now();
        dataset.metadataURI = metadataURI;
    }

    /// @dev Reverts unless the dataset exists and the caller is its provider.
    function _checkProvider(uint64 datasetId) internal view {
        address provider = _checkDataset(datasetId);
        if (msg.sender != provider) revert NotDatasetProvider(datasetId, msg.sender, provider);
    }

    /// @dev Reverts for an unknown dataset; returns its provider.
    function _checkDataset(uint64 datasetId) internal view returns (address provider) {
        provider = _datasets[datasetId].provider;
        if (provider == address(0)) revert UnknownDataset(datasetId);
    }

    /// @dev Reverts unless the receiver is authorised now under a grant for exactly this bundle.
    function _checkGrant(uint64 datasetId, address receiver, bytes32 ciphertextHash) internal view {
        Grant storage grant = _grants[datasetId][receiver];
        if (!_isAuthorized(grant)) revert NotAuthorized(datasetId, receiver);
        if (grant.ciphertextHash != ciphertextHash) revert CiphertextHashMismatch(grant.ciphertextHash, ciphertextHash);
    }

    function _isAuthorized(Grant storage grant) internal view returns (bool) {
        return grant.grantedAt != 0 && grant.revokedAt == 0 && _now() < grant.expiresAt;
    }
}
