// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IDataAcquisition} from "../../contracts/interfaces/IDataAcquisition.sol";
import {ITerminalRegistry} from "../../contracts/interfaces/ITerminalRegistry.sol";
import {TerminalRegistry} from "../../contracts/TerminalRegistry.sol";
import {DataAcquisition} from "../../contracts/DataAcquisition.sol";
import {RecordLeaf} from "../../contracts/libraries/RecordLeaf.sol";
import {CoreSetup} from "./Base.sol";

/// @notice Property tests: write-once roots, strictly sequential streams, role checks.
contract AnchoringFuzzTest is CoreSetup {
    uint256 internal constant KEY = 0xA11CE;
    bytes32 internal constant TERMINAL = keccak256("fuzz.bus1.pmu");

    function setUp() public {
        _deployCore();
        _register(TERMINAL, KEY);
    }

    function _anchorFirst(bytes32 root) internal returns (bytes32 headerHash) {
        IDataAcquisition.BatchHeader memory header = _header(TERMINAL, 1, bytes32(0), root);
        acquisition.anchorBatch(header, _sign(header, KEY));
        return acquisition.hashHeader(header);
    }

    /// A root, once anchored, can never be anchored again, whatever the rest of the header.
    function testFuzz_RootIsWrittenOnce(bytes32 root, uint32 recordCount, uint8 wait) public {
        vm.assume(root != bytes32(0) && recordCount > 0);
        bytes32 first = _anchorFirst(root);
        vm.warp(block.timestamp + 1 + wait);
        IDataAcquisition.BatchHeader memory again = _header(TERMINAL, 2, first, root);
        again.recordCount = recordCount;
        bytes memory signature = _sign(again, KEY);
        vm.expectRevert(abi.encodeWithSelector(IDataAcquisition.RootAlreadyAnchored.selector, root, uint64(1)));
        acquisition.anchorBatch(again, signature);
        require(acquisition.batchByRoot(root).batchId == 1, "root record changed");
        require(acquisition.batchCount() == 1, "batch count changed");
    }

    /// Only sequence last + 1 with the previous header's hash extends a stream.
    function testFuzz_OnlyTheNextSequenceExtendsTheStream(uint64 sequence, bytes32 prev, bytes32 root) public {
        bytes32 first = _anchorFirst(keccak256("first"));
        vm.assume(root != bytes32(0) && root != keccak256("first"));
        vm.assume(!(sequence == 2 && prev == first));
        IDataAcquisition.BatchHeader memory header = _header(TERMINAL, sequence, prev, root);
        bytes memory signature = _sign(header, KEY);
        vm.expectRevert(abi.encodeWithSelector(IDataAcquisition.StreamTipMismatch.selector, TERMINAL, sequence, prev));
        acquisition.anchorBatch(header, signature);
        require(acquisition.extendsStream(TERMINAL, 2, first), "stream tip moved");
    }

    /// Every privileged function refuses a caller without its role.
    function testFuzz_PrivilegedFunctionsCheckRoles(address caller) public {
        vm.assume(caller != address(this));
        bytes32 admin = acquisition.DEFAULT_ADMIN_ROLE();
        bytes32 policyAdmin = acquisition.POLICY_ADMIN_ROLE();
        bytes32 registrar = registry.REGISTRAR_ROLE();
        IDataAcquisition.Policy memory policy = acquisition.policyOf(TYPE);

        _expectUnauthorized(caller, policyAdmin);
        acquisition.setPolicy(TYPE, policy);
        _expectUnauthorized(caller, admin);
        acquisition.pause();
        _expectUnauthorized(caller, admin);
        acquisition.setAnchorerRequired(true);
        _expectUnauthorized(caller, registrar);
        registry.suspend(TERMINAL);
        _expectUnauthorized(caller, registrar);
        registry.rotateSigner(TERMINAL, caller);
        _expectUnauthorized(caller, admin);
        registry.revoke(TERMINAL);
        require(registry.isActive(TERMINAL) && !acquisition.paused(), "state changed");
    }

    function _expectUnauthorized(address caller, bytes32 role) internal {
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, role));
    }
}

/// @notice Drives random anchoring, including replayed roots and out-of-order sequences, and records what was accepted.
contract AnchoringHandler is CoreSetup {
    uint256 internal constant STREAMS = 4;

    bytes32[] public roots;
    /// @dev The stream each accepted root went into (index + 1; zero for none).
    mapping(bytes32 root => uint256 stream) public streamOfRoot;
    uint64[STREAMS] public sequences;
    bytes32[STREAMS] public tips;
    uint256 public refused;
    uint256 public squatsRefused;
    /// @dev verifySignedRecord said yes for a record whose package another terminal's key signed.
    uint256 public forgedSignaturesAccepted;
    /// @dev verifySignedRecord said no for a record its own terminal signed with its key.
    uint256 public ownSignaturesRefused;
    uint256 public signedRecordsChecked;

    constructor(TerminalRegistry registry_, DataAcquisition acquisition_) {
        registry = registry_;
        acquisition = acquisition_;
    }

    function terminalOf(uint256 stream) public pure returns (bytes32) {
        return keccak256(abi.encode("invariant.stream", stream));
    }

    function keyOf(uint256 stream) public pure returns (uint256) {
        return 0xB0B0 + stream;
    }

    function rootCount() external view returns (uint256) {
        return roots.length;
    }

    /// Anchors on a stream; `mode` sometimes replays a root, copies another stream's root (squatting) or skips a
    /// sequence, which must all be refused.
    function anchor(uint256 streamSeed, bytes32 rootSeed, uint8 mode, uint16 wait) external {
        uint256 stream = streamSeed % STREAMS;
        vm.warp(block.timestamp + 1 + (wait % 600));
        bool replayRoot = (mode % 5 == 1 || mode % 5 == 3) && roots.length > 0;
        bool badSequence = mode % 5 == 2;
        bytes32 root =
            replayRoot ? roots[uint256(rootSeed) % roots.length] : keccak256(abi.encode(rootSeed, roots.length));
        // Squatting: the root another stream anchored, taken into this one.
        bool squat = replayRoot && streamOfRoot[root] != stream + 1;
        uint64 sequence = sequences[stream] + (badSequence ? 2 : 1);
        IDataAcquisition.BatchHeader memory header = _header(terminalOf(stream), sequence, tips[stream], root);
        try acquisition.anchorBatch(header, _sign(header, keyOf(stream))) returns (uint64 batchId) {
            require(!replayRoot && !badSequence, "a bad batch was accepted");
            require(batchId == roots.length + 1, "batch ids are not consecutive");
            roots.push(root);
            streamOfRoot[root] = stream + 1;
            sequences[stream] = sequence;
            tips[stream] = acquisition.hashHeader(header);
        } catch {
            require(replayRoot || badSequence, "a good batch was refused");
            ++refused;
            if (squat) ++squatsRefused;
        }
    }

    /// A generator stream anchors a one-record batch attributed to terminal `owner`, whose package `signer`'s key
    /// signs; the record must verify as signed exactly when the signer is its own terminal.
    function anchorSignedRecord(uint256 ownerSeed, uint256 signerSeed, bytes32 payload, uint16 wait) external {
        uint256 owner = ownerSeed % STREAMS;
        uint256 signer = signerSeed % STREAMS;
        vm.warp(block.timestamp + 1 + (wait % 600));
        RecordLeaf memory leaf = RecordLeaf({
            terminalId: terminalOf(owner),
            kind: 1,
            timestamp: uint64(block.timestamp - 1),
            payloadHash: payload
        });
        bytes32 root = keccak256(
            bytes.concat(keccak256(abi.encode(leaf.terminalId, leaf.kind, leaf.timestamp, leaf.payloadHash)))
        );
        if (streamOfRoot[root] != 0) return;
        // Any stream may carry another terminal's records (an elected generator does): here the signer's.
        uint64 sequence = sequences[signer] + 1;
        IDataAcquisition.BatchHeader memory header = _header(terminalOf(signer), sequence, tips[signer], root);
        uint64 batchId = acquisition.anchorBatch(header, _sign(header, keyOf(signer)));
        require(batchId == roots.length + 1, "batch ids are not consecutive");
        roots.push(root);
        streamOfRoot[root] = signer + 1;
        sequences[signer] = sequence;
        tips[signer] = acquisition.hashHeader(header);

        // A one-record package: its records root is the leaf hash, with an empty proof.
        IDataAcquisition.TerminalPackage memory pkg = IDataAcquisition.TerminalPackage({
            terminalId: terminalOf(owner),
            periodStart: leaf.timestamp,
            recordCount: 1,
            recordsRoot: root
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(keyOf(signer), acquisition.packageDigest(pkg));
        bytes32[] memory none = new bytes32[](0);
        bool ok = acquisition.verifySignedRecord(root, none, leaf, pkg, none, abi.encodePacked(r, s, v));
        ++signedRecordsChecked;
        if (ok && signer != owner) ++forgedSignaturesAccepted;
        if (!ok && signer == owner) ++ownSignaturesRefused;
    }
}

/// @notice Invariants over any sequence of handler calls.
contract AnchoringInvariantTest is CoreSetup {
    AnchoringHandler internal handler;

    function setUp() public {
        _deployCore();
        handler = new AnchoringHandler(registry, acquisition);
        for (uint256 i = 0; i < 4; ++i) _register(handler.terminalOf(i), handler.keyOf(i));
    }

    /// forge reads the contracts to call from here (what forge-std's StdInvariant provides).
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function invariant_BatchCountEqualsAcceptedBatches() public view {
        require(acquisition.batchCount() == handler.rootCount(), "batch count drifted");
    }

    function invariant_EveryRootKeepsItsBatchId() public view {
        uint256 n = handler.rootCount();
        for (uint256 i = 0; i < n; ++i) {
            require(acquisition.batchByRoot(handler.roots(i)).batchId == i + 1, "a root record was overwritten");
        }
    }

    /// A root lives in the one stream that anchored it first: copying it into another stream is always refused,
    /// and its record keeps the batch that stream anchored.
    function invariant_NoRootIsAcceptedIntoTwoStreams() public view {
        uint256 n = handler.rootCount();
        for (uint256 i = 0; i < n; ++i) {
            bytes32 root = handler.roots(i);
            require(handler.streamOfRoot(root) != 0, "an accepted root has no stream");
            require(acquisition.batchByRoot(root).batchId == i + 1, "a root moved to another batch");
            for (uint256 j = i + 1; j < n; ++j) require(handler.roots(j) != root, "a root was accepted twice");
        }
    }

    /// No record verifies as signed by a terminal other than its own (and its own terminal's signature is honoured).
    function invariant_NoRecordVerifiesAsSignedByAnotherTerminal() public view {
        require(handler.forgedSignaturesAccepted() == 0, "a record verified as signed by another terminal's key");
        require(handler.ownSignaturesRefused() == 0, "a record signed by its own terminal was refused");
    }

    function invariant_StreamsExtendOnlyFromTheirTip() public view {
        for (uint256 i = 0; i < 4; ++i) {
            bytes32 terminal = handler.terminalOf(i);
            uint64 sequence = handler.sequences(i);
            require(acquisition.extendsStream(terminal, sequence + 1, handler.tips(i)), "tip is not the last batch");
            require(!acquisition.extendsStream(terminal, sequence + 2, handler.tips(i)), "a sequence can be skipped");
        }
    }
}
