// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IDataAcquisition} from "../interfaces/IDataAcquisition.sol";
import {ITerminalRegistry} from "../interfaces/ITerminalRegistry.sol";

/// @title AnchorFloor
/// @author GridLedger
/// @notice Gas-bench harness, never deployed: the least an anchor can do under issue 2's requirements, with the
/// same calldata, EIP-712 domain layout and signature as {DataAcquisition-anchorBatch}. It reads the pause flag,
/// the data type's policy and the registry's signer and status (cold, in a separate contract), recovers the
/// signer (OZ ECDSA), checks and rewrites the stream tip, writes the root once and emits the three required
/// indexed topics with no data. `bench/gas.ts` measures it next to the real contract.
/// @dev No roles, no multicall, no views beyond what the bench needs. {anchor} identifies a batch by
/// (terminal, sequence) and stores no global counter; {anchorCounted} adds the uint64 batch id that
/// `verifyRecord(batchId, ...)` needs, packed beside the pause flag as {DataAcquisition} does, and emits
/// {IDataAcquisition-BatchAnchored} with its data: the interface indexers, the SDK's `listBatches` and the
/// stream-tip reader rely on (the header hash is the only way to extend a stream from chain data alone). Both apply
/// the pause grace of issue 12 (a window's tolerance runs on after a pause), which costs nothing unless stale.
contract AnchorFloor is EIP712 {
    /// @notice The EIP-712 type of the header, identical to {DataAcquisition}'s.
    bytes32 public constant BATCH_HEADER_TYPEHASH = keccak256(
        "BatchHeader(uint16 dataType,bytes32 terminalId,uint64 sequence,uint64 windowStart,uint64 windowEnd,"
        "uint32 recordCount,bytes32 merkleRoot,bytes32 prevHeaderHash)"
    );

    ITerminalRegistry private immutable _registry;

    bool private _paused;
    uint64 private _batchCount;
    uint40 private _pausedAt;
    uint40 private _unpausedAt;
    mapping(uint16 dataType => IDataAcquisition.Policy policy) private _policies;
    mapping(bytes32 terminalId => bytes32 tip) private _tips;
    /// @dev anchoredAt | batchId << 64: never zero once written.
    mapping(bytes32 merkleRoot => uint256 record) private _roots;

    /// @notice The floor's only event: batch identified by terminal and sequence, and its root.
    /// @param terminalId The stream.
    /// @param sequence The stream sequence.
    /// @param merkleRoot The batch root.
    event Anchored(bytes32 indexed terminalId, uint64 indexed sequence, bytes32 indexed merkleRoot);
    /// @notice Anchoring is paused.
    error Paused();

    /// @notice Deploys the floor over a registry (same EIP-712 name and version as {DataAcquisition}).
    /// @param registry_ The terminal registry.
    constructor(ITerminalRegistry registry_) EIP712("GridLedger DataAcquisition", "1") {
        _registry = registry_;
    }

    /// @notice Sets a data type's policy (bench setup; unchecked).
    /// @param dataType The data type.
    /// @param policy The policy.
    function setPolicy(uint16 dataType, IDataAcquisition.Policy calldata policy) external {
        _policies[dataType] = policy;
    }

    /// @notice Sets the pause flag (bench setup).
    /// @param paused_ The new flag.
    function setPaused(bool paused_) external {
        _paused = paused_;
        if (paused_) _pausedAt = uint40(block.timestamp);
        else _unpausedAt = uint40(block.timestamp);
    }

    /// @notice Anchors with every required check, the stream tip, one new root slot and three topics.
    /// @param header The batch header.
    /// @param signature The terminal's 65-byte EIP-712 signature.
    function anchor(IDataAcquisition.BatchHeader calldata header, bytes calldata signature) external {
        if (_paused) revert Paused();
        (bytes32 root, ) = _check(header, signature);
        _roots[root] = block.timestamp;
        emit Anchored(header.terminalId, header.sequence, root);
    }

    /// @notice {anchor} plus a global uint64 batch id (a counter rewritten in the pause flag's slot) and
    /// {DataAcquisition}'s event.
    /// @param header The batch header.
    /// @param signature The terminal's 65-byte EIP-712 signature.
    /// @return batchId The new batch id (1, 2, ...).
    function anchorCounted(
        IDataAcquisition.BatchHeader calldata header,
        bytes calldata signature
    ) external returns (uint64 batchId) {
        if (_paused) revert Paused();
        (bytes32 root, bytes32 headerHash) = _check(header, signature);
        batchId = ++_batchCount;
        _roots[root] = block.timestamp | (uint256(batchId) << 64);
        emit IDataAcquisition.BatchAnchored(
            batchId,
            header.terminalId,
            root,
            header.dataType,
            header.sequence,
            header.windowStart,
            header.windowEnd,
            header.recordCount,
            headerHash
        );
    }

    /// @notice The stored word of a root (zero if never anchored).
    /// @param merkleRoot The root.
    /// @return anchoredAt The anchoring time.
    /// @return batchId The batch id ({anchorCounted} only).
    function rootRecord(bytes32 merkleRoot) external view returns (uint64 anchoredAt, uint64 batchId) {
        uint256 word = _roots[merkleRoot];
        return (uint64(word), uint64(word >> 64));
    }

    /// @dev Every check {DataAcquisition-anchorBatch} makes, then the tip rewrite. Returns the root and header hash.
    function _check(
        IDataAcquisition.BatchHeader calldata header,
        bytes calldata signature
    ) private returns (bytes32 root, bytes32 headerHash) {
        root = header.merkleRoot;
        if (root == bytes32(0)) revert IDataAcquisition.ZeroMerkleRoot();
        if (_roots[root] != 0) revert IDataAcquisition.RootAlreadyAnchored(root, 0);

        IDataAcquisition.Policy storage policy = _policies[header.dataType];
        if (!policy.enabled) revert IDataAcquisition.UnknownDataType(header.dataType);
        uint32 count = header.recordCount;
        if (count == 0 || count > policy.maxRecords) {
            revert IDataAcquisition.RecordCountOutOfRange(count, policy.maxRecords);
        }
        uint64 start = header.windowStart;
        uint64 end = header.windowEnd;
        uint32 scale = policy.timeScale;
        if (policy.trigger == IDataAcquisition.TriggerMode.TimeDriven) {
            if (end <= start || start % scale != 0 || (end - start) % scale != 0) {
                revert IDataAcquisition.WindowNotAligned(start, end, scale);
            }
        } else if (end < start || (scale != 0 && end - start > scale)) {
            revert IDataAcquisition.WindowNotAligned(start, end, scale);
        }
        if (end > block.timestamp) revert IDataAcquisition.WindowInFuture(end, block.timestamp);
        if (block.timestamp - end > policy.tolerance && block.timestamp > _deadline(end, policy.tolerance)) {
            revert IDataAcquisition.StaleWindow(end, block.timestamp, policy.tolerance);
        }

        bytes32 terminalId = header.terminalId;
        (address signer, ITerminalRegistry.TerminalStatus status) = _registry.signerAndStatus(terminalId);
        if (status != ITerminalRegistry.TerminalStatus.Active) {
            revert IDataAcquisition.TerminalNotActive(terminalId, status);
        }
        headerHash = keccak256(abi.encode(BATCH_HEADER_TYPEHASH, header));
        address recovered = ECDSA.recoverCalldata(_hashTypedDataV4(headerHash), signature);
        // Issue 12 point 3, as DataAcquisition: the key of the window's close also signs (read only on a mismatch).
        if (recovered != signer && recovered != _registry.signerAt(terminalId, uint40(end))) {
            revert IDataAcquisition.SignerMismatch(terminalId, recovered, signer);
        }

        uint64 sequence = header.sequence;
        bytes32 prev = header.prevHeaderHash;
        bytes32 expected =
            sequence == 1 && prev == bytes32(0)
                ? bytes32(0)
                : sequence == 0
                    ? bytes32(uint256(1))
                    : keccak256(abi.encode(prev, sequence - 1));
        if (_tips[terminalId] != expected) revert IDataAcquisition.StreamTipMismatch(terminalId, sequence, prev);
        _tips[terminalId] = keccak256(abi.encode(headerHash, sequence));
    }

    /// @dev The window's tolerance plus the part of the last finished pause after it closed, as {DataAcquisition}.
    function _deadline(uint64 end, uint32 tolerance) private view returns (uint256) {
        uint256 deadline = uint256(end) + tolerance;
        if (end >= _unpausedAt || _pausedAt > _unpausedAt) return deadline;
        return deadline + _unpausedAt - (end > _pausedAt ? end : _pausedAt);
    }
}
