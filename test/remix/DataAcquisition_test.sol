// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import "remix_tests.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {DataAcquisition} from "../contracts/DataAcquisition.sol";
import {TerminalRegistry} from "../contracts/TerminalRegistry.sol";
import {IDataAcquisition} from "../contracts/interfaces/IDataAcquisition.sol";
import {ITerminalRegistry} from "../contracts/interfaces/ITerminalRegistry.sol";
import {RecordLeaf} from "../contracts/libraries/RecordLeaf.sol";
import {DevSigner} from "./DevSigner.sol";
import {Caller, RemixTestBase} from "./RemixTestBase.sol";
import {DataAcquisitionDeployer, TerminalRegistryDeployer} from "./Deployers.sol";

/// @title DataAcquisitionTest
/// @author GridLedger
/// @notice remix-tests unit tests of DataAcquisition: a terminal-signed batch is anchored, its records are proven
/// and tampered ones refused, and replays, foreign keys and broken streams are rejected. The terminal key signs
/// with DevSigner (no wallet in Solidity); the batch is a two-record Merkle tree built here like src/merkle does.
contract DataAcquisitionTest is RemixTestBase {
    uint16 private constant READING = 1;
    uint32 private constant PERIOD = 60;
    bytes32 private constant TERMINAL = keccak256("remix.bus5.pmu");
    uint256 private constant TERMINAL_KEY = uint256(keccak256("remix terminal key"));
    uint256 private constant OTHER_KEY = uint256(keccak256("someone else's key"));

    TerminalRegistry private registry;
    DataAcquisition private acquisition;
    Caller private stranger;

    RecordLeaf private leafA;
    RecordLeaf private leafB;
    bytes32 private root;
    bytes32 private firstHeaderHash;

    function beforeAll() public {
        registry = TerminalRegistryDeployer.deploy(address(this));
        acquisition = DataAcquisitionDeployer.deploy(registry, address(this));
        stranger = new Caller();
        acquisition.setPolicy(
            READING,
            IDataAcquisition.Policy({
                tolerance: 3600,
                timeScale: PERIOD,
                maxRecords: 100,
                sensorCount: 1,
                trigger: IDataAcquisition.TriggerMode.TimeDriven,
                enabled: true
            })
        );
        registry.register(
            TERMINAL,
            DevSigner.addressOf(TERMINAL_KEY),
            ITerminalRegistry.TerminalKind.PMU,
            ITerminalRegistry.Location({gridId: bytes32("ieee39"), bus: 5, geohash: bytes12(0)}),
            ""
        );
        uint64 t = uint64(block.timestamp / PERIOD) * PERIOD;
        leafA = RecordLeaf(TERMINAL, 1, t - 60, keccak256('{"power_kw":120.5,"voltage_v":231}'));
        leafB = RecordLeaf(TERMINAL, 1, t - 30, keccak256('{"power_kw":121,"voltage_v":232}'));
        root = _hashPair(_leafHash(leafA), _leafHash(leafB));
    }

    // ---------------------------------------------------------------- helpers

    /// @dev The StandardMerkleTree leaf hash (RecordLeaves.hash takes calldata; tests hold leaves in storage).
    function _leafHash(RecordLeaf memory leaf) private pure returns (bytes32) {
        return
            keccak256(
                bytes.concat(keccak256(abi.encode(leaf.terminalId, leaf.kind, leaf.timestamp, leaf.payloadHash)))
            );
    }

    /// @dev OZ MerkleProof's commutative node hash.
    function _hashPair(bytes32 a, bytes32 b) private pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    /// @dev A header for the last whole minute, which has just elapsed (aligned, not in the future, not stale).
    function _header(
        uint64 sequence,
        bytes32 prevHeaderHash,
        bytes32 merkleRoot
    ) private view returns (IDataAcquisition.BatchHeader memory) {
        uint64 windowEnd = uint64(block.timestamp / PERIOD) * PERIOD;
        return
            IDataAcquisition.BatchHeader({
                dataType: READING,
                terminalId: TERMINAL,
                sequence: sequence,
                windowStart: windowEnd - PERIOD,
                windowEnd: windowEnd,
                recordCount: 2,
                merkleRoot: merkleRoot,
                prevHeaderHash: prevHeaderHash
            });
    }

    function _sign(uint256 key, IDataAcquisition.BatchHeader memory header) private view returns (bytes memory) {
        return DevSigner.sign(key, acquisition.headerDigest(header));
    }

    function _proof(bytes32 sibling) private pure returns (bytes32[] memory proof) {
        proof = new bytes32[](1);
        proof[0] = sibling;
    }

    // ---------------------------------------------------------------- tests

    function devSignerMatchesTheKnownAddressOfKeyOne() public {
        Assert.equal(DevSigner.addressOf(1), 0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf, "address of key 1");
    }

    function anchorsABatchSignedByTheTerminal() public {
        IDataAcquisition.BatchHeader memory header = _header(1, bytes32(0), root);
        uint64 batchId = acquisition.anchorBatch(header, _sign(TERMINAL_KEY, header));
        Assert.equal(uint256(batchId), 1, "the first batch id");
        Assert.equal(uint256(acquisition.batchCount()), 1, "one batch");
        IDataAcquisition.BatchRecord memory stored = acquisition.batchByRoot(root);
        Assert.equal(uint256(stored.batchId), 1, "the root is stored with its batch id");
        Assert.equal(uint256(stored.recordCount), 2, "and its record count");
        firstHeaderHash = acquisition.hashHeader(header);
        Assert.ok(acquisition.extendsStream(TERMINAL, 2, firstHeaderHash), "the stream tip moved to this header");
    }

    function provesARecordOfTheBatch() public {
        Assert.ok(acquisition.verifyRecord(root, _proof(_leafHash(leafB)), leafA), "record A is in batch 1");
        Assert.ok(acquisition.verifyLeafHash(root, _proof(_leafHash(leafA)), _leafHash(leafB)), "leaf B is in batch 1");
    }

    function rejectsATamperedRecord() public {
        RecordLeaf memory tampered = leafA;
        tampered.payloadHash = keccak256('{"power_kw":999,"voltage_v":231}');
        Assert.ok(!acquisition.verifyRecord(root, _proof(_leafHash(leafB)), tampered), "a changed payload fails");
        Assert.ok(!acquisition.verifyRecord(keccak256("other"), _proof(_leafHash(leafB)), leafA), "a wrong root fails");
    }

    function rejectsAReplayedRoot() public {
        IDataAcquisition.BatchHeader memory header = _header(2, firstHeaderHash, root);
        try acquisition.anchorBatch(header, _sign(TERMINAL_KEY, header)) {
            Assert.ok(false, "a root was anchored twice");
        } catch (bytes memory reason) {
            assertReverted(
                reason,
                abi.encodeWithSelector(IDataAcquisition.RootAlreadyAnchored.selector, root, uint64(1)),
                "RootAlreadyAnchored(root, 1)"
            );
        }
    }

    function rejectsAHeaderSignedByAnotherKey() public {
        IDataAcquisition.BatchHeader memory header = _header(2, firstHeaderHash, keccak256("batch 2"));
        try acquisition.anchorBatch(header, _sign(OTHER_KEY, header)) {
            Assert.ok(false, "a header signed by a stranger's key was anchored");
        } catch (bytes memory reason) {
            assertReverted(
                reason,
                abi.encodeWithSelector(
                    IDataAcquisition.SignerMismatch.selector,
                    TERMINAL,
                    DevSigner.addressOf(OTHER_KEY),
                    DevSigner.addressOf(TERMINAL_KEY)
                ),
                "SignerMismatch(TERMINAL, other, terminal key)"
            );
        }
    }

    function rejectsAHeaderThatDoesNotExtendTheStream() public {
        IDataAcquisition.BatchHeader memory header = _header(2, bytes32(0), keccak256("batch 2"));
        try acquisition.anchorBatch(header, _sign(TERMINAL_KEY, header)) {
            Assert.ok(false, "a header with the wrong previous hash was anchored");
        } catch (bytes memory reason) {
            assertReverted(
                reason,
                abi.encodeWithSelector(IDataAcquisition.StreamTipMismatch.selector, TERMINAL, uint64(2), bytes32(0)),
                "StreamTipMismatch(TERMINAL, 2, 0)"
            );
        }
    }

    function extendsTheStreamWithTheNextHeader() public {
        IDataAcquisition.BatchHeader memory header = _header(2, firstHeaderHash, keccak256("batch 2"));
        Assert.equal(uint256(acquisition.anchorBatch(header, _sign(TERMINAL_KEY, header))), 2, "batch 2");
        Assert.ok(acquisition.extendsStream(TERMINAL, 3, acquisition.hashHeader(header)), "the tip moved again");
    }

    function refusesPoliciesFromAnAccountWithoutTheRole() public {
        IDataAcquisition.Policy memory policy = acquisition.policyOf(READING);
        (bool success, bytes memory reason) = stranger.forward(
            address(acquisition),
            abi.encodeCall(DataAcquisition.setPolicy, (READING, policy))
        );
        assertForwardReverted(
            success,
            reason,
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                address(stranger),
                acquisition.POLICY_ADMIN_ROLE()
            ),
            "AccessControlUnauthorizedAccount(stranger, POLICY_ADMIN_ROLE)"
        );
    }
}
