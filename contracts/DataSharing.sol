// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IDataAcquisition} from "./interfaces/IDataAcquisition.sol";
import {GridLedgerBase} from "./abstract/GridLedgerBase.sol";
import {IDataSharing} from "./interfaces/IDataSharing.sol";
import {ITerminalRegistry} from "./interfaces/ITerminalRegistry.sol";
import {UnknownDataset, UnknownRoot, UnknownTerminal, ZeroAddress} from "./Common.sol";

/// @title DataSharing
/// @author GridLedger
/// @notice P000's provider/receiver sharing model. The admin certifies providers (PROVIDER_ROLE) and authorises each
/// for terminals, one by one or by grid; a provider registers datasets of those terminals' anchored data and grants,
/// revokes and logs deliveries for them; the admin can revoke any grant; receivers request access and acknowledge
/// receipt. Grants carry an expiry and the encrypted bundle's ciphertext hash.
/// @dev Wired once to DataAcquisition (immutable): registration reads each batch root's terminal from it and checks
/// that a stream's terminal is registered, so a dataset can never point at data that does not exist or that its
/// provider is not authorised for. Decertifying a provider moves its certification epoch on: its datasets (so every
/// grant on them) and its authorisations are void from then on, in the access check itself, at no cost per grant.
contract DataSharing is IDataSharing, GridLedgerBase {
    /// @notice May register datasets and grant access to them: a certified organisation.
    bytes32 public constant PROVIDER_ROLE = keccak256("PROVIDER_ROLE");
    /// @notice The most batches one dataset may list (bounds registration gas).
    uint256 public constant MAX_BATCHES_PER_DATASET = 1024;

    IDataAcquisition private immutable _acquisition;

    uint64 private _datasetCount;
    mapping(uint64 datasetId => Dataset dataset) private _datasets;
    mapping(uint64 datasetId => mapping(address receiver => Grant grant)) private _grants;
    /// @dev Moves on at each decertification; datasets and authorisations of an earlier epoch are void.
    mapping(address provider => uint32 epoch) private _providerEpochs;
    /// @dev The provider's epoch + 1 when the authorisation was set, 0 when never set or withdrawn.
    mapping(address provider => mapping(bytes32 scopeKey => uint256 epochPlusOne)) private _authorisations;

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

    // ---------------------------------------------------------------- external: administration

    /// @inheritdoc IDataSharing
    function setProviderAuthorisation(
        address provider,
        Scope scope,
        bytes32 id,
        bool authorised
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (provider == address(0)) revert ZeroAddress("provider");
        if (id == bytes32(0)) revert ZeroScopeId(scope);
        if (_isAuthorisedIn(provider, scope, id) == authorised) {
            revert AuthorisationUnchanged(provider, scope, id, authorised);
        }
        _authorisations[provider][_scopeKey(scope, id)] = authorised ? uint256(_providerEpochs[provider]) + 1 : 0;
        emit ProviderAuthorisationSet(provider, scope, id, authorised);
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
        ITerminalRegistry registry = _acquisition.registry();
        bytes32 checked;
        for (uint256 i = 0; i < count; ++i) {
            bytes32 root = merkleRoots[i];
            if (i > 0 && root <= merkleRoots[i - 1]) revert RootsNotIncreasing(i, merkleRoots[i - 1], root);
            // The anchor contract says whose stream the root is in; zero means never anchored.
            bytes32 terminalId = _acquisition.terminalOfBatch(root);
            if (terminalId == bytes32(0)) revert UnknownRoot(root);
            // Batches of one stream often come together: check each run of one terminal once.
            if (terminalId != checked) {
                _checkAuthorised(registry, msg.sender, terminalId);
                checked = terminalId;
            }
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
        ITerminalRegistry registry = _acquisition.registry();
        (, ITerminalRegistry.TerminalStatus status) = registry.signerAndStatus(terminalId);
        if (status == ITerminalRegistry.TerminalStatus.Unregistered) revert UnknownTerminal(terminalId);
        _checkAuthorised(registry, msg.sender, terminalId);

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
        uint32 datasetEpoch = _datasets[datasetId].providerEpoch;
        uint32 epoch = _providerEpochs[msg.sender];
        if (datasetEpoch != epoch) revert DatasetVoided(datasetId, datasetEpoch, epoch);
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
    function revokeAccess(uint64 datasetId, address receiver) external {
        address provider = _checkDataset(datasetId);
        // The admin may revoke any grant: the way out of a provider that will not revoke, short of decertifying it.
        if (msg.sender != provider && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert NotDatasetProvider(datasetId, msg.sender, provider);
        }
        Grant storage grant = _grants[datasetId][receiver];
        if (grant.grantedAt == 0 || grant.revokedAt != 0) revert NoGrantToRevoke(datasetId, receiver);
        grant.revokedAt = _now();
        emit AccessRevoked(datasetId, receiver, msg.sender);
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
        return _isAuthorized(datasetId, _grants[datasetId][receiver]);
    }

    /// @inheritdoc IDataSharing
    function isProviderAuthorised(address provider, bytes32 terminalId) external view returns (bool) {
        if (!hasRole(PROVIDER_ROLE, provider)) return false;
        (bool authorised, ) = _authorisedFor(_acquisition.registry(), provider, terminalId);
        return authorised;
    }

    /// @inheritdoc IDataSharing
    function providerAuthorisation(address provider, Scope scope, bytes32 id) external view returns (bool) {
        return _isAuthorisedIn(provider, scope, id);
    }

    /// @inheritdoc IDataSharing
    function providerEpoch(address provider) external view returns (uint32) {
        return _providerEpochs[provider];
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
        dataset.providerEpoch = _providerEpochs[msg.sender];
        dataset.metadataURI = metadataURI;
    }

    /// @dev Decertification (the admin revokes, or the provider renounces, PROVIDER_ROLE) voids everything the
    /// provider holds: a later certification starts with no datasets in force and no authorisations.
    function _revokeRole(bytes32 role, address account) internal override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        if (revoked && role == PROVIDER_ROLE) {
            uint32 epoch = ++_providerEpochs[account];
            emit ProviderDecertified(account, epoch);
        }
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
        if (!_isAuthorized(datasetId, grant)) revert NotAuthorized(datasetId, receiver);
        if (grant.ciphertextHash != ciphertextHash) revert CiphertextHashMismatch(grant.ciphertextHash, ciphertextHash);
    }

    /// @dev A grant is in force while unrevoked and unexpired, on a dataset whose provider kept its certification.
    function _isAuthorized(uint64 datasetId, Grant storage grant) internal view returns (bool) {
        if (grant.grantedAt == 0 || grant.revokedAt != 0 || _now() >= grant.expiresAt) return false;
        Dataset storage dataset = _datasets[datasetId];
        return dataset.providerEpoch == _providerEpochs[dataset.provider];
    }

    /// @dev Reverts unless `provider` is authorised for the terminal or its grid.
    function _checkAuthorised(ITerminalRegistry registry, address provider, bytes32 terminalId) internal view {
        (bool authorised, bytes32 gridId) = _authorisedFor(registry, provider, terminalId);
        if (!authorised) revert ProviderNotAuthorised(provider, terminalId, gridId);
    }

    /// @dev Whether `provider` is authorised for the terminal alone or, failing that, for the grid of its registry
    /// location (returned; read only when the terminal alone is not authorised). Reverts for an unknown terminal.
    function _authorisedFor(
        ITerminalRegistry registry,
        address provider,
        bytes32 terminalId
    ) internal view returns (bool authorised, bytes32 gridId) {
        if (_isAuthorisedIn(provider, Scope.Terminal, terminalId)) return (true, bytes32(0));
        gridId = registry.getTerminal(terminalId).location.gridId;
        authorised = gridId != bytes32(0) && _isAuthorisedIn(provider, Scope.Grid, gridId);
    }

    /// @dev Whether the authorisation was set in the provider's current epoch (not withdrawn, not decertified since).
    function _isAuthorisedIn(address provider, Scope scope, bytes32 id) internal view returns (bool) {
        return _authorisations[provider][_scopeKey(scope, id)] == uint256(_providerEpochs[provider]) + 1;
    }

    /// @dev Terminal and grid ids live in separate key spaces.
    function _scopeKey(Scope scope, bytes32 id) internal pure returns (bytes32) {
        return keccak256(abi.encode(scope, id));
    }
}
