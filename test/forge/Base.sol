// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TerminalRegistry} from "../../contracts/TerminalRegistry.sol";
import {DataAcquisition} from "../../contracts/DataAcquisition.sol";
import {ITerminalRegistry} from "../../contracts/interfaces/ITerminalRegistry.sol";
import {IDataAcquisition} from "../../contracts/interfaces/IDataAcquisition.sol";

/// @notice The few forge cheatcodes these tests use (forge-std is not on npm).
interface Vm {
    function warp(uint256 timestamp) external;
    function prank(address caller) external;
    function sign(uint256 privateKey, bytes32 digest) external returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external returns (address);
    function expectRevert(bytes calldata revertData) external;
    function assume(bool condition) external;
}

/// @notice Deploys the core contracts with an event-driven data type whose windows are easy to satisfy.
abstract contract CoreSetup {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint16 internal constant TYPE = 3;
    uint256 internal constant START = 1_800_000_000;

    TerminalRegistry internal registry;
    DataAcquisition internal acquisition;

    function _deployCore() internal {
        vm.warp(START);
        registry = new TerminalRegistry(address(this));
        acquisition = new DataAcquisition(registry, address(this));
        acquisition.setPolicy(
            TYPE,
            IDataAcquisition.Policy({
                tolerance: 1 days,
                timeScale: 0,
                maxRecords: type(uint32).max,
                sensorCount: 1,
                trigger: IDataAcquisition.TriggerMode.EventDriven,
                enabled: true
            })
        );
    }

    function _register(bytes32 terminalId, uint256 key) internal {
        registry.register(
            terminalId,
            vm.addr(key),
            ITerminalRegistry.TerminalKind.PMU,
            ITerminalRegistry.Location({gridId: "fuzz", bus: 1, geohash: bytes12(0)}),
            ""
        );
    }

    function _header(
        bytes32 terminalId,
        uint64 sequence,
        bytes32 prev,
        bytes32 root
    ) internal view returns (IDataAcquisition.BatchHeader memory) {
        return
            IDataAcquisition.BatchHeader({
                dataType: TYPE,
                terminalId: terminalId,
                sequence: sequence,
                windowStart: uint64(block.timestamp - 10),
                windowEnd: uint64(block.timestamp - 1),
                recordCount: 1,
                merkleRoot: root,
                prevHeaderHash: prev
            });
    }

    function _sign(IDataAcquisition.BatchHeader memory header, uint256 key) internal returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, acquisition.headerDigest(header));
        return abi.encodePacked(r, s, v);
    }
}
