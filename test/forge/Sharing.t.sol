// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IDataAcquisition} from "../../contracts/interfaces/IDataAcquisition.sol";
import {ITerminalRegistry} from "../../contracts/interfaces/ITerminalRegistry.sol";
import {DataSharing} from "../../contracts/DataSharing.sol";
import {IDataSharing} from "../../contracts/interfaces/IDataSharing.sol";
import {CoreSetup} from "./Base.sol";

/// @notice Drives DataSharing as its admin and two providers, against a model of who may share what: authorisations
/// per terminal and per grid, decertification and re-certification, datasets, grants and the admin's revocations.
contract SharingHandler is CoreSetup {
    uint256 internal constant TERMINALS = 4;
    uint256 internal constant PROVIDERS = 2;
    address internal constant RECEIVER = address(0xCAFE);

    DataSharing public sharing;
    bytes32[] public roots;
    mapping(bytes32 root => uint256 terminal) public terminalOfRoot;
    uint64[TERMINALS] internal _sequences;
    bytes32[TERMINALS] internal _tips;

    // The model.
    bool[PROVIDERS] public certified;
    uint32[PROVIDERS] public epochs;
    mapping(uint256 provider => mapping(uint32 epoch => mapping(uint256 terminal => bool))) internal _byTerminal;
    mapping(uint256 provider => mapping(uint32 epoch => mapping(bytes32 grid => bool))) internal _byGrid;
    /// @dev Per dataset (index = id - 1): its provider and the provider's epoch at registration.
    uint256[] public datasetProvider;
    uint32[] public datasetEpoch;

    /// @dev Calls whose outcome differed from the model (the invariant wants none).
    uint256 public mismatches;
    uint256 public datasetsRegistered;
    uint256 public registrationsRefused;

    constructor() {
        _deployCore();
        sharing = new DataSharing(acquisition, address(this));
        for (uint256 t = 0; t < TERMINALS; ++t) {
            registry.register(
                terminalOf(t),
                vm.addr(keyOf(t)),
                ITerminalRegistry.TerminalKind.PMU,
                ITerminalRegistry.Location({gridId: gridOf(t), bus: uint32(t + 1), geohash: bytes12(0)}),
                ""
            );
        }
        for (uint256 p = 0; p < PROVIDERS; ++p) _certify(p);
    }

    function terminalOf(uint256 t) public pure returns (bytes32) {
        return keccak256(abi.encode("sharing.terminal", t));
    }

    function keyOf(uint256 t) public pure returns (uint256) {
        return 0x5EED + t;
    }

    /// @dev Terminals 0 and 1 sit in grid "north", 2 and 3 in "south".
    function gridOf(uint256 t) public pure returns (bytes32) {
        return t < 2 ? bytes32("north") : bytes32("south");
    }

    function providerOf(uint256 p) public pure returns (address) {
        return address(uint160(0xB000 + p));
    }

    function datasetCount() external view returns (uint256) {
        return datasetProvider.length;
    }

    /// @dev Whether the model lets provider `p` share terminal `t` now.
    function mayShare(uint256 p, uint256 t) public view returns (bool) {
        uint32 epoch = epochs[p];
        return certified[p] && (_byTerminal[p][epoch][t] || _byGrid[p][epoch][gridOf(t)]);
    }

    // ---------------------------------------------------------------- actions

    function anchor(uint256 terminalSeed, bytes32 rootSeed) external {
        uint256 t = terminalSeed % TERMINALS;
        vm.warp(block.timestamp + 11);
        bytes32 root = keccak256(abi.encode(rootSeed, roots.length));
        IDataAcquisition.BatchHeader memory header = _header(terminalOf(t), _sequences[t] + 1, _tips[t], root);
        acquisition.anchorBatch(header, _sign(header, keyOf(t)));
        _sequences[t] += 1;
        _tips[t] = acquisition.hashHeader(header);
        roots.push(root);
        terminalOfRoot[root] = t;
    }

    function authorise(uint256 providerSeed, uint256 targetSeed, bool byGrid, bool authorised) external {
        uint256 p = providerSeed % PROVIDERS;
        uint256 t = targetSeed % TERMINALS;
        uint32 epoch = epochs[p];
        bool current = byGrid ? _byGrid[p][epoch][gridOf(t)] : _byTerminal[p][epoch][t];
        IDataSharing.Scope scope = byGrid ? IDataSharing.Scope.Grid : IDataSharing.Scope.Terminal;
        bytes32 id = byGrid ? gridOf(t) : terminalOf(t);
        try sharing.setProviderAuthorisation(providerOf(p), scope, id, authorised) {
            if (current == authorised) ++mismatches;
            if (byGrid) _byGrid[p][epoch][gridOf(t)] = authorised;
            else _byTerminal[p][epoch][t] = authorised;
        } catch {
            if (current != authorised) ++mismatches;
        }
    }

    function toggleCertification(uint256 providerSeed) external {
        uint256 p = providerSeed % PROVIDERS;
        if (certified[p]) {
            sharing.revokeRole(sharing.PROVIDER_ROLE(), providerOf(p));
            certified[p] = false;
            epochs[p] += 1;
            if (sharing.providerEpoch(providerOf(p)) != epochs[p]) ++mismatches;
        } else {
            _certify(p);
        }
    }

    /// Registers a dataset of one or two roots; it must succeed exactly when the model lets the provider share
    /// every root's terminal.
    function register(uint256 providerSeed, uint256 firstSeed, uint256 secondSeed, bool two) external {
        uint256 n = roots.length;
        if (n == 0) return;
        uint256 p = providerSeed % PROVIDERS;
        bytes32 a = roots[firstSeed % n];
        bytes32 b = roots[secondSeed % n];
        bytes32[] memory listed;
        if (two && a != b) {
            listed = new bytes32[](2);
            (listed[0], listed[1]) = a < b ? (a, b) : (b, a);
        } else {
            listed = new bytes32[](1);
            listed[0] = a;
        }
        bool allowed = true;
        for (uint256 i = 0; i < listed.length; ++i) allowed = allowed && mayShare(p, terminalOfRoot[listed[i]]);
        vm.prank(providerOf(p));
        try sharing.registerBatchDataset(listed, "") returns (uint64 datasetId) {
            if (!allowed || datasetId != datasetProvider.length + 1) ++mismatches;
            datasetProvider.push(p);
            datasetEpoch.push(epochs[p]);
            ++datasetsRegistered;
        } catch {
            if (allowed) ++mismatches;
            ++registrationsRefused;
        }
    }

    /// The dataset's provider grants the receiver; it must succeed exactly when the provider is certified and the
    /// dataset belongs to its current certification.
    function grant(uint256 datasetSeed) external {
        uint256 n = datasetProvider.length;
        if (n == 0) return;
        uint256 index = datasetSeed % n;
        uint256 p = datasetProvider[index];
        bool allowed = certified[p] && datasetEpoch[index] == epochs[p];
        vm.prank(providerOf(p));
        try sharing.grantAccess(uint64(index + 1), RECEIVER, uint40(block.timestamp + 30 days), keccak256("bundle")) {
            if (!allowed) ++mismatches;
        } catch {
            if (allowed) ++mismatches;
        }
    }

    /// The admin revokes the receiver's grant on any dataset, whoever provides it.
    function adminRevoke(uint256 datasetSeed) external {
        uint256 n = datasetProvider.length;
        if (n == 0) return;
        uint64 datasetId = uint64((datasetSeed % n) + 1);
        IDataSharing.Grant memory g = sharing.grantOf(datasetId, RECEIVER);
        bool revocable = g.grantedAt != 0 && g.revokedAt == 0;
        try sharing.revokeAccess(datasetId, RECEIVER) {
            if (!revocable || sharing.isAuthorized(datasetId, RECEIVER)) ++mismatches;
        } catch {
            if (revocable) ++mismatches;
        }
    }

    function _certify(uint256 p) internal {
        sharing.grantRole(sharing.PROVIDER_ROLE(), providerOf(p));
        certified[p] = true;
    }
}

/// @notice Invariants over any sequence of sharing actions.
contract SharingInvariantTest {
    SharingHandler internal handler;

    function setUp() public {
        handler = new SharingHandler();
    }

    /// forge reads the contracts to call from here (what forge-std's StdInvariant provides).
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// Registration, grants and revocations succeed exactly when the model of authorisations says they may.
    function invariant_SharingFollowsTheAuthorisations() public view {
        require(handler.mismatches() == 0, "a sharing call disagreed with the authorisation model");
    }

    /// Every batch of every dataset belongs to a terminal its provider was authorised for (checked at registration,
    /// against the terminal the anchor contract names).
    function invariant_DatasetsCoverOnlyAnchoredBatches() public view {
        DataSharing sharing = handler.sharing();
        uint256 n = handler.datasetCount();
        for (uint256 i = 0; i < n; ++i) {
            bytes32[] memory listed = sharing.getDataset(uint64(i + 1)).merkleRoots;
            for (uint256 j = 0; j < listed.length; ++j) {
                bytes32 terminal = sharing.acquisition().terminalOfBatch(listed[j]);
                require(terminal == handler.terminalOf(handler.terminalOfRoot(listed[j])), "a dataset root moved");
            }
        }
    }

    /// No grant is in force on a dataset whose provider was decertified after registering it.
    function invariant_NoGrantOutlivesItsProvidersCertification() public view {
        DataSharing sharing = handler.sharing();
        uint256 n = handler.datasetCount();
        for (uint256 i = 0; i < n; ++i) {
            uint256 p = handler.datasetProvider(i);
            if (handler.datasetEpoch(i) != handler.epochs(p)) {
                require(!sharing.isAuthorized(uint64(i + 1), address(0xCAFE)), "a voided grant is in force");
            }
        }
    }
}
