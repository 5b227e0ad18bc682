// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDataAcquisition} from "./IDataAcquisition.sol";
import {IVersioned} from "./IVersioned.sol";

/// @title IDataSharing
/// @author GridLedger
/// @notice The sharing layer of P000 (Fig. 1: authentication, authorisation, behaviour management): certified
/// providers register datasets of anchored data, grant receivers time-limited access to an encrypted bundle whose
/// ciphertext hash is recorded here, and revoke it. Requests, deliveries and receipts form the behaviour log.
/// @dev The data itself never comes on-chain: the bundle travels off-chain (src/sharing), and the grant commits to
/// keccak256(iv || ciphertext || tag) of its records.
interface IDataSharing is IVersioned {
    /// @notice How a dataset selects anchored data.
    enum DatasetKind {
        /// @dev An explicit list of anchored batches, named by their Merkle roots (sorted, no repeats).
        Batches,
        /// @dev Every batch of one terminal's stream, restricted to records in [fromTime, toTime).
        Stream
    }

    /// @notice A registered dataset.
    struct Dataset {
        address provider;
        DatasetKind kind;
        uint40 registeredAt;
        /// @dev The stream terminal (Stream datasets only).
        bytes32 terminalId;
        /// @dev Record time range [fromTime, toTime) in unix seconds (Stream datasets only).
        uint64 fromTime;
        uint64 toTime;
        /// @dev The batches' Merkle roots, strictly increasing (Batches datasets only). Roots, not batch ids: a reorg
        /// can swap two ids, never a root.
        bytes32[] merkleRoots;
        string metadataURI;
    }

    /// @notice A receiver's access to a dataset (one slot plus the hash).
    struct Grant {
        uint40 grantedAt;
        uint40 expiresAt;
        /// @dev Zero while not revoked.
        uint40 revokedAt;
        /// @dev keccak256(iv || ciphertext || tag) of the bundle's records.
        bytes32 ciphertextHash;
    }

    /// @notice The caller is not the dataset's provider.
    error NotDatasetProvider(uint64 datasetId, address caller, address provider);
    /// @notice A batch dataset lists no batches.
    error EmptyBatchList();
    /// @notice A batch dataset lists more batches than {MAX_BATCHES_PER_DATASET}.
    error TooManyBatches(uint256 count, uint256 maxCount);
    /// @notice Batch roots must be strictly increasing (sorted, no repeats).
    error RootsNotIncreasing(uint256 index, bytes32 previous, bytes32 merkleRoot);
    /// @notice A stream dataset's range is empty or reversed.
    error InvalidTimeRange(uint64 fromTime, uint64 toTime);
    /// @notice A grant's expiry is not after the current block.
    error ExpiryNotInFuture(uint40 expiresAt, uint256 blockTimestamp);
    /// @notice A grant must commit to a non-zero ciphertext hash.
    error ZeroCiphertextHash();
    /// @notice The receiver holds no current grant (never granted, revoked or expired).
    error NotAuthorized(uint64 datasetId, address receiver);
    /// @notice The receiver has no grant to revoke (never granted, or already revoked).
    error NoGrantToRevoke(uint64 datasetId, address receiver);
    /// @notice The hash given is not the one recorded with the grant.
    error CiphertextHashMismatch(bytes32 expected, bytes32 given);
    /// @notice A public key is not 64 bytes (uncompressed x || y, without the 0x04 prefix).
    error InvalidPublicKeyLength(uint256 length);
    /// @notice A public key does not belong to the caller.
    error PublicKeyMismatch(address caller, address keyAddress);

    /// @notice Emitted when a provider registers a dataset of explicit batches.
    /// @param datasetId The new dataset.
    /// @param provider Its provider.
    /// @param merkleRoots The batches' roots.
    /// @param metadataURI Its metadata URI.
    event BatchDatasetRegistered(
        uint64 indexed datasetId,
        address indexed provider,
        bytes32[] merkleRoots,
        string metadataURI
    );
    /// @notice Emitted when a provider registers a dataset over a terminal's stream and a time range.
    /// @param datasetId The new dataset.
    /// @param provider Its provider.
    /// @param terminalId The stream terminal.
    /// @param fromTime Range start (inclusive, unix seconds).
    /// @param toTime Range end (exclusive, unix seconds).
    /// @param metadataURI Its metadata URI.
    event StreamDatasetRegistered(
        uint64 indexed datasetId,
        address indexed provider,
        bytes32 indexed terminalId,
        uint64 fromTime,
        uint64 toTime,
        string metadataURI
    );
    /// @notice Emitted when a receiver asks for access (behaviour log).
    /// @param datasetId The dataset.
    /// @param requester The receiver.
    /// @param publicKey The receiver's 64-byte secp256k1 key to encrypt for (checked against the caller).
    /// @param purpose Why the receiver wants the data (free text).
    event AccessRequested(uint64 indexed datasetId, address indexed requester, bytes publicKey, string purpose);
    /// @notice Emitted when a provider grants (or renews) access.
    /// @param datasetId The dataset.
    /// @param receiver The receiver.
    /// @param expiresAt When access ends (unix seconds).
    /// @param ciphertextHash The bundle's ciphertext hash.
    event AccessGranted(
        uint64 indexed datasetId,
        address indexed receiver,
        uint40 expiresAt,
        bytes32 indexed ciphertextHash
    );
    /// @notice Emitted when a provider revokes access.
    /// @param datasetId The dataset.
    /// @param receiver The receiver.
    event AccessRevoked(uint64 indexed datasetId, address indexed receiver);
    /// @notice Emitted when a provider records that a granted bundle was delivered (behaviour log).
    /// @param datasetId The dataset.
    /// @param receiver The receiver.
    /// @param ciphertextHash The delivered bundle's ciphertext hash.
    event DataDelivered(uint64 indexed datasetId, address indexed receiver, bytes32 indexed ciphertextHash);
    /// @notice Emitted when a receiver confirms it decrypted and verified a bundle (behaviour log).
    /// @param datasetId The dataset.
    /// @param receiver The receiver.
    /// @param ciphertextHash The received bundle's ciphertext hash.
    event ReceiptAcknowledged(uint64 indexed datasetId, address indexed receiver, bytes32 indexed ciphertextHash);

    /// @notice Registers a dataset made of anchored batches.
    /// @param merkleRoots Strictly increasing Merkle roots of anchored batches.
    /// @param metadataURI A URI describing the dataset (may be empty).
    /// @return datasetId The new dataset's id (1, 2, ...).
    function registerBatchDataset(
        bytes32[] calldata merkleRoots,
        string calldata metadataURI
    ) external returns (uint64 datasetId);

    /// @notice Registers a dataset over a registered terminal's stream and a record time range.
    /// @param terminalId The stream terminal.
    /// @param fromTime Range start (inclusive, unix seconds).
    /// @param toTime Range end (exclusive, unix seconds); may lie in the future.
    /// @param metadataURI A URI describing the dataset (may be empty).
    /// @return datasetId The new dataset's id.
    function registerStreamDataset(
        bytes32 terminalId,
        uint64 fromTime,
        uint64 toTime,
        string calldata metadataURI
    ) external returns (uint64 datasetId);

    /// @notice Asks a dataset's provider for access, publishing the key to encrypt for.
    /// @param datasetId The dataset.
    /// @param publicKey The caller's uncompressed secp256k1 public key, x || y (64 bytes).
    /// @param purpose Why the data is wanted.
    function requestAccess(uint64 datasetId, bytes calldata publicKey, string calldata purpose) external;

    /// @notice Grants (or renews, replacing the bundle) a receiver's access until `expiresAt`.
    /// @param datasetId A dataset the caller provides.
    /// @param receiver The receiver.
    /// @param expiresAt A time after the current block (unix seconds).
    /// @param ciphertextHash The bundle's ciphertext hash (src/sharing bundleCiphertextHash).
    function grantAccess(uint64 datasetId, address receiver, uint40 expiresAt, bytes32 ciphertextHash) external;

    /// @notice Revokes a receiver's access.
    /// @param datasetId A dataset the caller provides.
    /// @param receiver A receiver with an unrevoked grant.
    function revokeAccess(uint64 datasetId, address receiver) external;

    /// @notice Logs that the granted bundle was delivered to the receiver.
    /// @param datasetId A dataset the caller provides.
    /// @param receiver A currently authorised receiver.
    /// @param ciphertextHash The hash recorded with the grant.
    function recordDelivery(uint64 datasetId, address receiver, bytes32 ciphertextHash) external;

    /// @notice Logs, as the receiver, that the granted bundle was decrypted and verified.
    /// @param datasetId The dataset.
    /// @param ciphertextHash The hash recorded with the caller's grant.
    function acknowledgeReceipt(uint64 datasetId, bytes32 ciphertextHash) external;

    /// @notice Whether `receiver` may read the dataset now: granted, not revoked, not expired.
    /// @param datasetId The dataset.
    /// @param receiver The receiver.
    /// @return True when authorised.
    function isAuthorized(uint64 datasetId, address receiver) external view returns (bool);

    /// @notice The receiver's grant (all zero if never granted).
    /// @param datasetId The dataset.
    /// @param receiver The receiver.
    /// @return The grant.
    function grantOf(uint64 datasetId, address receiver) external view returns (Grant memory);

    /// @notice A registered dataset. Reverts for an unknown id.
    /// @param datasetId The dataset.
    /// @return The dataset.
    function getDataset(uint64 datasetId) external view returns (Dataset memory);

    /// @notice Whether a batch belongs to a Batches dataset (always false for Stream datasets).
    /// @param datasetId The dataset.
    /// @param merkleRoot The batch's root.
    /// @return True when listed.
    function datasetIncludesBatch(uint64 datasetId, bytes32 merkleRoot) external view returns (bool);

    /// @notice How many datasets were registered; also the latest id.
    /// @return The count.
    function datasetCount() external view returns (uint64);

    /// @notice The anchor contract whose batches datasets refer to.
    /// @return The DataAcquisition contract.
    function acquisition() external view returns (IDataAcquisition);
}
