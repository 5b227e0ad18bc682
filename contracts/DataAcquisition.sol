// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {GridLedgerBase} from "./abstract/GridLedgerBase.sol";
import {IDataAcquisition} from "./interfaces/IDataAcquisition.sol";
import {ITerminalRegistry} from "./interfaces/ITerminalRegistry.sol";
import {RecordLeaf, RecordLeaves} from "./libraries/RecordLeaf.sol";
import {ZeroAddress} from "./Common.sol";

/// @title DataAcquisition
/// @author GridLedger
/// @notice The data acquisition contract of P003. Terminals sign batch headers (EIP-712); any relayer (or, when
/// switched on, only anchorer-role holders) submits them. Each accepted header extends its terminal's hash
/// chain and writes its Merkle root once; single records are then proven against it with OZ MerkleProof.
/// @dev Gas budget per batch: one new slot (the root record), one rewritten slot per stream (a commitment to
/// the tip's header hash and sequence, and the stream's number, which the root record copies so a root names its
/// terminal), the batch counter packed beside Pausable's flag, two cold reads (policy, registry). A stream's first
/// batch also writes its number's terminal, once. Everything else is emitted, not stored. {Multicall} anchors several batches in one
/// transaction, sharing the base cost and the warm reads.
contract DataAcquisition is IDataAcquisition, GridLedgerBase, EIP712, Pausable, Multicall {
    using RecordLeaves for RecordLeaf;

    /// @notice May set acquisition policies.
    bytes32 public constant POLICY_ADMIN_ROLE = keccak256("POLICY_ADMIN_ROLE");
    /// @notice May anchor when {anchorerRequired} is on.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");
    /// @notice The EIP-712 type of {BatchHeader}.
    bytes32 public constant BATCH_HEADER_TYPEHASH = keccak256(
        "BatchHeader(uint16 dataType,bytes32 terminalId,uint64 sequence,uint64 windowStart,uint64 windowEnd,"
        "uint32 recordCount,bytes32 merkleRoot,bytes32 prevHeaderHash)"
    );

    /// @notice The EIP-712 type of {TerminalPackage}.
    bytes32 public constant TERMINAL_PACKAGE_TYPEHASH = keccak256(
        "TerminalPackage(bytes32 terminalId,uint64 periodStart,uint32 recordCount,bytes32 recordsRoot)"
    );
    /// @dev The package domain: name and version hashed once; the chain id is read at call time (forks).
    bytes32 private constant _PACKAGE_DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId)"
    );
    bytes32 private constant _PACKAGE_NAME_HASH = keccak256("GridLedger Terminal Package");
    bytes32 private constant _PACKAGE_VERSION_HASH = keccak256("1");
    /// @dev A stream's tip word: its number above this bit, the tip hash below it.
    uint256 private constant _STREAM_SHIFT = 216;
    uint256 private constant _TIP_MASK = (1 << _STREAM_SHIFT) - 1;

    ITerminalRegistry private immutable _registry;

    // Declared first so they share Pausable's slot: anchoring reads the pause flag anyway.
    uint64 private _batchCount;
    bool private _anchorerRequired;
    /// @dev The last pause, [pausedAt, unpausedAt): windows that closed before it ended get its length as grace.
    uint40 private _pausedAt;
    uint40 private _unpausedAt;
    uint40 private _streamCount;

    mapping(uint16 dataType => Policy policy) private _policies;
    /// @dev The stream's number (bits 216-255, zero before its first batch) and the low 216 bits of
    /// keccak256(abi.encode(lastHeaderHash, lastSequence)) (zero at genesis). One slot: anchoring reads and rewrites
    /// it anyway, so each root record learns its stream for free.
    mapping(bytes32 terminalId => uint256 tip) private _streamTips;
    mapping(uint40 stream => bytes32 terminalId) private _streamTerminals;
    mapping(bytes32 merkleRoot => BatchRecord batch) private _batches;

    /// @notice Deploys the anchor contract over a registry.
    /// @param registry_ The terminal registry.
    /// @param admin Receives the admin and policy-admin roles.
    constructor(
        ITerminalRegistry registry_,
        address admin
    ) GridLedgerBase(admin) EIP712("GridLedger DataAcquisition", "1") {
        if (address(registry_) == address(0)) revert ZeroAddress("registry");
        _registry = registry_;
        _grantRole(POLICY_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------- external: administration

    /// @inheritdoc IDataAcquisition
    function setPolicy(uint16 dataType, Policy calldata policy) external onlyRole(POLICY_ADMIN_ROLE) {
        if (policy.tolerance == 0) revert InvalidPolicy(dataType, "tolerance");
        if (policy.maxRecords == 0) revert InvalidPolicy(dataType, "maxRecords");
        if (policy.trigger == TriggerMode.TimeDriven && policy.timeScale == 0) {
            revert InvalidPolicy(dataType, "timeScale");
        }
        _policies[dataType] = policy;
        emit PolicySet(dataType, policy);
    }

    /// @inheritdoc IDataAcquisition
    function setAnchorerRequired(bool required) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _anchorerRequired = required;
        emit AnchorerRequirementSet(required);
    }

    /// @inheritdoc IDataAcquisition
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
        _pausedAt = _now();
    }

    /// @inheritdoc IDataAcquisition
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
        _unpausedAt = _now();
    }

    /// @notice Renounces a role; the admin role cannot be renounced while anchoring is paused.
    /// @dev Without the admin nobody could unpause: a pause followed by renouncing would stop anchoring for good.
    /// Handing the role over (two-step, with the admin delay) stays possible while paused.
    /// @param role The role.
    /// @param account The caller's own address.
    function renounceRole(bytes32 role, address account) public override {
        if (role == DEFAULT_ADMIN_ROLE && paused()) revert AdminRenounceWhilePaused();
        super.renounceRole(role, account);
    }

    /// @inheritdoc IDataAcquisition
    function resetStream(
        bytes32 terminalId,
        uint64 sequence,
        bytes32 headerHash,
        string calldata reason
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (sequence == 0 && headerHash != bytes32(0)) revert InvalidStreamReset(sequence, headerHash);
        // The stream keeps its number: batches anchored before the reset still name this terminal.
        uint256 stream = _streamTips[terminalId] & ~_TIP_MASK;
        _streamTips[terminalId] = stream | (sequence == 0 ? 0 : _tip(headerHash, sequence));
        emit StreamReset(terminalId, sequence, headerHash, reason);
    }

    // ---------------------------------------------------------------- external: anchoring

    /// @inheritdoc IDataAcquisition
    function anchorBatch(
        BatchHeader calldata header,
        bytes calldata signature
    ) external whenNotPaused returns (uint64 batchId) {
        if (_anchorerRequired) _checkRole(ANCHORER_ROLE);

        bytes32 root = header.merkleRoot;
        if (root == bytes32(0)) revert ZeroMerkleRoot();
        BatchRecord storage batch = _batches[root];
        if (batch.anchoredAt != 0) revert RootAlreadyAnchored(root, batch.batchId);

        _checkPolicy(header);

        bytes32 terminalId = header.terminalId;
        (address signer, ITerminalRegistry.TerminalStatus status) = _registry.signerAndStatus(terminalId);
        if (status != ITerminalRegistry.TerminalStatus.Active) revert TerminalNotActive(terminalId, status);

        bytes32 headerHash = _hashHeader(header);
        address recovered = ECDSA.recoverCalldata(_hashTypedDataV4(headerHash), signature);
        // Off the usual path: a header signed before a rotation, for a window that closed before it, is still the
        // terminal's word (the key it held when the window closed, from the registry's signer history). The end is
        // at most now (checked above), so it fits the registry's uint40 clock.
        if (recovered != signer && recovered != _registry.signerAt(terminalId, uint40(header.windowEnd))) {
            revert SignerMismatch(terminalId, recovered, signer);
        }

        uint256 tipWord = _streamTips[terminalId];
        if (tipWord & _TIP_MASK != _expectedTip(header.sequence, header.prevHeaderHash)) {
            revert StreamTipMismatch(terminalId, header.sequence, header.prevHeaderHash);
        }
        return _recordBatch(header, headerHash, batch, uint40(tipWord >> _STREAM_SHIFT));
    }

    // ---------------------------------------------------------------- external: proofs

    /// @inheritdoc IDataAcquisition
    function verifyRecord(
        bytes32 merkleRoot,
        bytes32[] calldata proof,
        RecordLeaf calldata leaf
    ) external view returns (bool) {
        return _provesLeaf(merkleRoot, proof, leaf.hash());
    }

    /// @inheritdoc IDataAcquisition
    function verifyLeafHash(
        bytes32 merkleRoot,
        bytes32[] calldata proof,
        bytes32 leafHash
    ) external view returns (bool) {
        return _provesLeaf(merkleRoot, proof, leafHash);
    }

    /// @inheritdoc IDataAcquisition
    function verifyRecords(
        bytes32 merkleRoot,
        bytes32[] calldata proof,
        bool[] calldata proofFlags,
        RecordLeaf[] calldata leaves
    ) external view returns (bool) {
        uint256 count = leaves.length;
        // With no leaves, a multiproof of just [root] folds to the root: that proves nothing.
        if (count == 0) return false;
        bytes32[] memory leafHashes = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            leafHashes[i] = leaves[i].hash();
        }
        if (MerkleProof.processMultiProofCalldata(proof, proofFlags, leafHashes) != merkleRoot) return false;
        BatchRecord storage batch = _batches[merkleRoot];
        return batch.anchoredAt != 0 && count <= batch.recordCount;
    }

    /// @inheritdoc IDataAcquisition
    function verifySignedRecord(
        bytes32 merkleRoot,
        bytes32[] calldata proof,
        RecordLeaf calldata leaf,
        TerminalPackage calldata pkg,
        bytes32[] calldata packageProof,
        bytes calldata signature
    ) external view returns (bool) {
        // The package must be the record's own terminal's: another terminal's signature proves nothing about it.
        if (pkg.terminalId != leaf.terminalId) return false;
        // No key is held past the registry's uint40 clock.
        if (leaf.timestamp > type(uint40).max) return false;
        bytes32 leafHash = leaf.hash();
        if (MerkleProof.processProofCalldata(packageProof, leafHash) != pkg.recordsRoot) return false;
        if (!_provesLeaf(merkleRoot, proof, leafHash)) return false;
        (address recovered, ECDSA.RecoverError error, ) = ECDSA.tryRecoverCalldata(_packageDigest(pkg), signature);
        if (error != ECDSA.RecoverError.NoError) return false;
        return recovered == _registry.signerAt(leaf.terminalId, uint40(leaf.timestamp));
    }

    /// @inheritdoc IDataAcquisition
    function packageDigest(TerminalPackage calldata pkg) external view returns (bytes32) {
        return _packageDigest(pkg);
    }

    // ---------------------------------------------------------------- external: views

    /// @inheritdoc IDataAcquisition
    function hashHeader(BatchHeader calldata header) external pure returns (bytes32) {
        return _hashHeader(header);
    }

    /// @inheritdoc IDataAcquisition
    function headerDigest(BatchHeader calldata header) external view returns (bytes32) {
        return _hashTypedDataV4(_hashHeader(header));
    }

    /// @inheritdoc IDataAcquisition
    function extendsStream(bytes32 terminalId, uint64 sequence, bytes32 prevHeaderHash) external view returns (bool) {
        return _streamTips[terminalId] & _TIP_MASK == _expectedTip(sequence, prevHeaderHash);
    }

    /// @inheritdoc IDataAcquisition
    function batchByRoot(bytes32 merkleRoot) external view returns (BatchRecord memory) {
        return _batches[merkleRoot];
    }

    /// @inheritdoc IDataAcquisition
    function terminalOfBatch(bytes32 merkleRoot) external view returns (bytes32 terminalId) {
        return _streamTerminals[_batches[merkleRoot].stream];
    }

    /// @inheritdoc IDataAcquisition
    function anchorDeadline(uint16 dataType, uint64 windowEnd) external view returns (uint256) {
        return _deadline(windowEnd, _policies[dataType].tolerance);
    }

    /// @inheritdoc IDataAcquisition
    function lastPause() external view returns (uint40 pausedAt, uint40 unpausedAt) {
        return (_pausedAt, _unpausedAt);
    }

    /// @inheritdoc IDataAcquisition
    function policyOf(uint16 dataType) external view returns (Policy memory) {
        return _policies[dataType];
    }

    /// @inheritdoc IDataAcquisition
    function batchCount() external view returns (uint64) {
        return _batchCount;
    }

    /// @inheritdoc IDataAcquisition
    function anchorerRequired() external view returns (bool) {
        return _anchorerRequired;
    }

    /// @inheritdoc IDataAcquisition
    function registry() external view returns (ITerminalRegistry) {
        return _registry;
    }

    // ---------------------------------------------------------------- internal

    /// @dev Checks the header against its data type's policy and the block clock.
    function _checkPolicy(BatchHeader calldata header) internal view {
        Policy storage policy = _policies[header.dataType];
        if (!policy.enabled) revert UnknownDataType(header.dataType);

        uint32 recordCount = header.recordCount;
        if (recordCount == 0 || recordCount > policy.maxRecords) {
            revert RecordCountOutOfRange(recordCount, policy.maxRecords);
        }

        uint64 start = header.windowStart;
        uint64 end = header.windowEnd;
        if (end < start) revert InvalidWindow(start, end);
        uint32 timeScale = policy.timeScale;
        if (policy.trigger == TriggerMode.TimeDriven) {
            // Two conditions, not one three-way OR: solidity-coverage miscounts the middle operand of the latter.
            bool startsOnGrid = end != start && start % timeScale == 0;
            if (!startsOnGrid || (end - start) % timeScale != 0) revert WindowNotAligned(start, end, timeScale);
        } else if (timeScale != 0 && end - start > timeScale) {
            revert WindowNotAligned(start, end, timeScale);
        }

        uint256 nowTs = _now();
        if (end > nowTs) revert WindowInFuture(end, nowTs);
        // The pause grace is read only when the plain tolerance has run out: no extra read on the usual path.
        if (nowTs - end > policy.tolerance && nowTs > _deadline(end, policy.tolerance)) {
            revert StaleWindow(end, nowTs, policy.tolerance);
        }
    }

    /// @dev The last second a window ending at `end` may be anchored: its tolerance, extended by the part of the last
    /// pause that came after the window closed (anchoring was impossible then, so that time does not count).
    function _deadline(uint64 end, uint32 tolerance) internal view returns (uint256) {
        uint256 deadline = uint256(end) + tolerance;
        uint256 unpausedAt = _unpausedAt;
        uint256 pausedAt = _pausedAt;
        // No grace for windows that closed after the last pause, nor while a pause lasts (its length is not known).
        if (end >= unpausedAt || pausedAt > unpausedAt) return deadline;
        return deadline + unpausedAt - (end > pausedAt ? end : pausedAt);
    }

    /// @dev Advances the stream (numbering it on its first batch), writes the root record once and emits
    /// {BatchAnchored}.
    function _recordBatch(
        BatchHeader calldata header,
        bytes32 headerHash,
        BatchRecord storage batch,
        uint40 stream
    ) internal returns (uint64 batchId) {
        bytes32 terminalId = header.terminalId;
        if (stream == 0) stream = _numberStream(terminalId);
        _streamTips[terminalId] = (uint256(stream) << _STREAM_SHIFT) | _tip(headerHash, header.sequence);
        batchId = ++_batchCount;
        batch.batchId = batchId;
        batch.anchoredAt = _now();
        batch.blockNumber = uint64(block.number);
        batch.dataType = header.dataType;
        batch.recordCount = header.recordCount;
        batch.stream = stream;
        emit BatchAnchored(
            batchId,
            header.terminalId,
            header.merkleRoot,
            header.dataType,
            header.sequence,
            header.windowStart,
            header.windowEnd,
            header.recordCount,
            headerHash
        );
    }

    /// @dev Gives a terminal's stream the next number, once: the root records name their stream by it.
    function _numberStream(bytes32 terminalId) internal returns (uint40 stream) {
        stream = ++_streamCount;
        _streamTerminals[stream] = terminalId;
    }

    /// @dev The stream tip (hash bits) a header with this sequence and previous hash must find.
    function _expectedTip(uint64 sequence, bytes32 prevHeaderHash) internal pure returns (uint256) {
        if (sequence == 1 && prevHeaderHash == bytes32(0)) return 0;
        // A zero sequence can never match: no tip commits to sequence 0 and the genesis tip needs sequence 1.
        if (sequence == 0) return 1;
        return _tip(prevHeaderHash, sequence - 1);
    }

    /// @dev 216 bits of the hash leave room for the stream number; a forged tip still needs a 216-bit preimage.
    function _tip(bytes32 headerHash, uint64 sequence) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(headerHash, sequence))) & _TIP_MASK;
    }

    /// @dev The package's EIP-712 digest under the package domain of this chain.
    function _packageDigest(TerminalPackage calldata pkg) internal view returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(_PACKAGE_DOMAIN_TYPEHASH, _PACKAGE_NAME_HASH, _PACKAGE_VERSION_HASH, block.chainid)
        );
        return MessageHashUtils.toTypedDataHash(domain, keccak256(abi.encode(TERMINAL_PACKAGE_TYPEHASH, pkg)));
    }

    function _hashHeader(BatchHeader calldata header) internal pure returns (bytes32) {
        return keccak256(abi.encode(BATCH_HEADER_TYPEHASH, header));
    }

    /// @dev Whether `proof` folds `leafHash` to the anchored `merkleRoot` from a leaf's depth. A StandardMerkleTree
    /// of n leaves keeps them at depths floor(log2 n) to floor(log2(2n - 1)); a shorter proof starts from an inner
    /// node (the root itself for an empty proof), which is no record.
    function _provesLeaf(bytes32 merkleRoot, bytes32[] calldata proof, bytes32 leafHash) internal view returns (bool) {
        if (MerkleProof.processProofCalldata(proof, leafHash) != merkleRoot) return false;
        BatchRecord storage batch = _batches[merkleRoot];
        if (batch.anchoredAt == 0) return false;
        uint256 n = batch.recordCount;
        uint256 depth = proof.length;
        return depth >= Math.log2(n) && depth <= Math.log2(2 * n - 1);
    }
}
