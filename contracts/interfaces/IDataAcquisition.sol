// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITerminalRegistry} from "./ITerminalRegistry.sol";
import {IVersioned} from "./IVersioned.sol";
import {RecordLeaf} from "../libraries/RecordLeaf.sol";

/// @title IDataAcquisition
/// @author GridLedger
/// @notice The data acquisition contract of P003: per-data-type acquisition policies and signed, hash-chained
/// Merkle batch anchoring, with inclusion proofs for single records.
interface IDataAcquisition is IVersioned {
    /// @notice Time-driven types produce one batch per aligned sampling window; event-driven ones on demand.
    enum TriggerMode {
        TimeDriven,
        EventDriven
    }

    /// @notice An acquisition policy for one data type TY (P003: Δt, n, δ, trigger).
    struct Policy {
        /// @dev Δt: how many seconds after its window ends a batch may still be anchored.
        uint32 tolerance;
        /// @dev δ: the sampling period in seconds. Time-driven windows span whole, aligned multiples of it;
        /// event-driven windows span at most one δ (0 means no bound).
        uint32 timeScale;
        /// @dev The most records one batch may commit to.
        uint32 maxRecords;
        /// @dev n: the number of sensors that report this type (informs off-chain completeness checks).
        uint16 sensorCount;
        TriggerMode trigger;
        bool enabled;
    }

    /// @notice What a terminal signs (EIP-712) to anchor a batch.
    struct BatchHeader {
        uint16 dataType;
        /// @dev The stream: the generator terminal that built and signed the batch.
        bytes32 terminalId;
        /// @dev 1 for a stream's first batch, then +1 each time.
        uint64 sequence;
        uint64 windowStart;
        uint64 windowEnd;
        uint32 recordCount;
        bytes32 merkleRoot;
        /// @dev The EIP-712 struct hash of the stream's previous header; zero for sequence 1.
        bytes32 prevHeaderHash;
    }

    /// @notice What a terminal signs (EIP-712, off-chain) over the records it sends for one period: the proof that
    /// the terminal named in a record produced it. Domain: name "GridLedger Terminal Package", version "1", the
    /// chain id, no verifying contract (one signature serves every deployment on the chain).
    struct TerminalPackage {
        bytes32 terminalId;
        /// @dev The period's start (unix seconds).
        uint64 periodStart;
        /// @dev How many records the package holds (signed; not needed to check one record).
        uint32 recordCount;
        /// @dev The root of an OZ Merkle tree (sorted pairs, as batches) over the leaf hashes of the package's
        /// records, so one record is checked with a short proof, without the rest of the package.
        bytes32 recordsRoot;
    }

    /// @notice What is stored per anchored root (one storage slot).
    struct BatchRecord {
        uint64 batchId;
        uint40 anchoredAt;
        uint64 blockNumber;
        uint16 dataType;
        uint32 recordCount;
    }

    /// @notice A policy is malformed: `field` names what is wrong.
    error InvalidPolicy(uint16 dataType, string field);
    /// @notice No enabled policy exists for the data type.
    error UnknownDataType(uint16 dataType);
    /// @notice The stream's terminal is not active in the registry.
    error TerminalNotActive(bytes32 terminalId, ITerminalRegistry.TerminalStatus status);
    /// @notice The header was signed neither by the terminal's current key nor by the key it held when the window
    /// closed.
    error SignerMismatch(bytes32 terminalId, address recovered, address expected);
    /// @notice The header does not extend the stream: wrong sequence or wrong previous-header hash.
    error StreamTipMismatch(bytes32 terminalId, uint64 sequence, bytes32 prevHeaderHash);
    /// @notice The window ends before it starts.
    error InvalidWindow(uint64 windowStart, uint64 windowEnd);
    /// @notice A time-driven window is not a whole number of aligned sampling periods, or an event-driven one
    /// is longer than one period.
    error WindowNotAligned(uint64 windowStart, uint64 windowEnd, uint32 timeScale);
    /// @notice The window ended more than the tolerance before this block, not counting the last pause's time after
    /// the window closed (see {anchorDeadline}).
    error StaleWindow(uint64 windowEnd, uint256 blockTimestamp, uint32 tolerance);
    /// @notice The window ends after this block.
    error WindowInFuture(uint64 windowEnd, uint256 blockTimestamp);
    /// @notice The record count is zero or above the policy's maximum.
    error RecordCountOutOfRange(uint32 recordCount, uint32 maxRecords);
    /// @notice The Merkle root is zero.
    error ZeroMerkleRoot();
    /// @notice The admin tried to renounce its role while anchoring is paused (nobody could unpause).
    error AdminRenounceWhilePaused();
    /// @notice A stream reset to sequence 0 (genesis) must carry a zero header hash.
    error InvalidStreamReset(uint64 sequence, bytes32 headerHash);
    /// @notice This root is already anchored, as batch `batchId`.
    error RootAlreadyAnchored(bytes32 merkleRoot, uint64 batchId);

    /// @notice Emitted when a data type's policy is set or changed.
    /// @param dataType The data type TY.
    /// @param policy The new policy.
    event PolicySet(uint16 indexed dataType, Policy policy);
    /// @notice Emitted when anchoring is restricted to, or opened from, holders of the anchorer role.
    /// @param required The new setting.
    event AnchorerRequirementSet(bool required);
    /// @notice Emitted when the admin moves a stream's tip, e.g. back to the last honest header after a stolen key
    /// anchored the next sequence. Batches already anchored stay anchored; the stream continues from the new tip.
    /// @param terminalId The stream.
    /// @param sequence The new tip's sequence (0: back to genesis).
    /// @param headerHash The new tip's header hash (the next header's prevHeaderHash).
    /// @param reason Why, for the audit trail.
    event StreamReset(bytes32 indexed terminalId, uint64 sequence, bytes32 headerHash, string reason);
    /// @notice Emitted when a batch root is anchored. Carries what is not stored, for indexers.
    /// @param batchId The new batch id.
    /// @param terminalId The stream (signing terminal).
    /// @param merkleRoot The batch root.
    /// @param dataType The data type TY.
    /// @param sequence The stream sequence.
    /// @param windowStart Window start (unix seconds).
    /// @param windowEnd Window end (unix seconds).
    /// @param recordCount The number of records.
    /// @param headerHash The header's EIP-712 struct hash (the next header's prevHeaderHash).
    event BatchAnchored(
        uint64 indexed batchId,
        bytes32 indexed terminalId,
        bytes32 indexed merkleRoot,
        uint16 dataType,
        uint64 sequence,
        uint64 windowStart,
        uint64 windowEnd,
        uint32 recordCount,
        bytes32 headerHash
    );

    /// @notice Sets the acquisition policy of a data type.
    /// @param dataType The data type TY.
    /// @param policy The new policy.
    function setPolicy(uint16 dataType, Policy calldata policy) external;

    /// @notice Restricts anchoring to holders of the anchorer role (true), or lets any relayer submit (false).
    /// @param required The new setting.
    function setAnchorerRequired(bool required) external;

    /// @notice Stops anchoring until {unpause}. Time paused does not count against a window's tolerance.
    function pause() external;

    /// @notice Resumes anchoring.
    function unpause() external;

    /// @notice Moves a stream's tip to (`sequence`, `headerHash`): the recovery after a stolen key anchored sequence
    /// n+1 first, which would otherwise leave the honest n+1 reverting {StreamTipMismatch} forever.
    /// @param terminalId The stream.
    /// @param sequence The new tip's sequence; 0 resets to genesis (then `headerHash` must be zero).
    /// @param headerHash The EIP-712 struct hash of the header the stream continues from.
    /// @param reason Why, emitted for the audit trail.
    function resetStream(bytes32 terminalId, uint64 sequence, bytes32 headerHash, string calldata reason) external;

    /// @notice Anchors a batch root signed (EIP-712) by the stream terminal's key: its current key, or the key it
    /// held when the window closed (a header signed before a rotation stays anchorable for its tolerance).
    /// @param header The batch header.
    /// @param signature The 65-byte signature of {headerDigest}(header).
    /// @return batchId The new batch's id (1, 2, ...).
    function anchorBatch(BatchHeader calldata header, bytes calldata signature) external returns (uint64 batchId);

    /// @notice Whether `leaf` is a record of the batch anchored with `merkleRoot`, given its Merkle proof.
    /// @dev The proof must be as long as a leaf's path in a tree of the batch's record count. Batches are named by
    /// root, not id: ids follow inclusion order and a reorg can swap them ({batchByRoot} gives the id).
    /// @param merkleRoot The batch's root.
    /// @param proof The sibling hashes, leaf to root (OZ StandardMerkleTree getProof).
    /// @param leaf The record's leaf fields.
    /// @return True when the proof leads to that batch's root.
    function verifyRecord(
        bytes32 merkleRoot,
        bytes32[] calldata proof,
        RecordLeaf calldata leaf
    ) external view returns (bool);

    /// @notice Like {verifyRecord}, for an already hashed (StandardMerkleTree) leaf. Refuses the root with an empty
    /// proof (unless the batch has one record) and any proof shorter or longer than a leaf's path.
    /// @dev A hash carries no sign of being a leaf: in a batch whose record count is not a power of two, an inner
    /// node at the shallowest leaf depth still passes. Prefer {verifyRecord}, which hashes the record itself.
    /// @param merkleRoot The batch's root.
    /// @param proof The sibling hashes.
    /// @param leafHash The double-hashed leaf.
    /// @return True when the proof leads to that batch's root.
    function verifyLeafHash(
        bytes32 merkleRoot,
        bytes32[] calldata proof,
        bytes32 leafHash
    ) external view returns (bool);

    /// @notice Whether all `leaves` are records of the batch anchored with `merkleRoot`, given an OpenZeppelin
    /// multiproof. False for no leaves, or more leaves than the batch has records.
    /// @param merkleRoot The batch's root.
    /// @param proof The multiproof's sibling hashes.
    /// @param proofFlags The multiproof's flags.
    /// @param leaves The records, in the multiproof's leaf order.
    /// @return True when the multiproof leads to that batch's root.
    function verifyRecords(
        bytes32 merkleRoot,
        bytes32[] calldata proof,
        bool[] calldata proofFlags,
        RecordLeaf[] calldata leaves
    ) external view returns (bool);

    /// @notice Whether `leaf` is a record of the batch anchored with `merkleRoot` AND the terminal it names signed it:
    /// `pkg` is that terminal's signed package, `packageProof` places the record in it, and `signature` was made by
    /// the key the registry lists for the terminal at the record's timestamp (its signer history). False for a
    /// record signed by another terminal, by a key the terminal did not hold at that time, or not in the package.
    /// @param merkleRoot The batch's root.
    /// @param proof The record's proof in the batch tree.
    /// @param leaf The record's leaf fields.
    /// @param pkg The terminal package that covers the record.
    /// @param packageProof The record's proof in the package tree (to `pkg.recordsRoot`).
    /// @param signature The terminal's 65-byte EIP-712 signature of `pkg` ({packageDigest}).
    /// @return True when the record is anchored and signed by its own terminal's key of the time.
    function verifySignedRecord(
        bytes32 merkleRoot,
        bytes32[] calldata proof,
        RecordLeaf calldata leaf,
        TerminalPackage calldata pkg,
        bytes32[] calldata packageProof,
        bytes calldata signature
    ) external view returns (bool);

    /// @notice The EIP-712 digest a terminal signs for a package on this chain.
    /// @param pkg The package.
    /// @return The digest.
    function packageDigest(TerminalPackage calldata pkg) external view returns (bytes32);

    /// @notice The EIP-712 struct hash of a header: the value the next header's `prevHeaderHash` carries.
    /// @param header The header.
    /// @return The struct hash.
    function hashHeader(BatchHeader calldata header) external pure returns (bytes32);

    /// @notice The EIP-712 digest a terminal signs for a header.
    /// @param header The header.
    /// @return The digest.
    function headerDigest(BatchHeader calldata header) external view returns (bytes32);

    /// @notice Whether a header with this sequence and previous-header hash would extend the stream now.
    /// @param terminalId The stream.
    /// @param sequence The candidate sequence.
    /// @param prevHeaderHash The candidate previous-header hash.
    /// @return True when it matches the stream tip.
    function extendsStream(bytes32 terminalId, uint64 sequence, bytes32 prevHeaderHash) external view returns (bool);

    /// @notice The stored record of an anchored root (all zero if not anchored).
    /// @param merkleRoot The root.
    /// @return The batch record.
    function batchByRoot(bytes32 merkleRoot) external view returns (BatchRecord memory);

    /// @notice The last unix second a batch whose window ends at `windowEnd` can be anchored: the end plus the data
    /// type's tolerance, extended by the part of the last pause that came after the window closed.
    /// @dev Only the last finished pause counts: a window still open across two pauses gets the second's grace, and
    /// while a pause lasts no grace is added yet.
    /// @param dataType The data type TY.
    /// @param windowEnd The window's end (unix seconds).
    /// @return The deadline (unix seconds).
    function anchorDeadline(uint16 dataType, uint64 windowEnd) external view returns (uint256);

    /// @notice The last pause: when it began and ended (both 0 before the first; while a pause lasts, `unpausedAt`
    /// is the end of the one before).
    /// @return pausedAt When {pause} was last called (unix seconds).
    /// @return unpausedAt When {unpause} was last called (unix seconds).
    function lastPause() external view returns (uint40 pausedAt, uint40 unpausedAt);

    /// @notice The policy of a data type.
    /// @param dataType The data type TY.
    /// @return The policy (all zero if never set).
    function policyOf(uint16 dataType) external view returns (Policy memory);

    /// @notice How many batches were anchored; also the latest batch id.
    /// @return The count.
    function batchCount() external view returns (uint64);

    /// @notice Whether only anchorer-role holders may anchor.
    /// @return The setting.
    function anchorerRequired() external view returns (bool);

    /// @notice The terminal registry this contract reads.
    /// @return The registry.
    function registry() external view returns (ITerminalRegistry);
}
