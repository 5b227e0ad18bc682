// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import "remix_tests.sol";
import {DataAcquisition} from "../contracts/DataAcquisition.sol";
import {DataNameRegistry} from "../contracts/DataNameRegistry.sol";
import {TerminalRegistry} from "../contracts/TerminalRegistry.sol";
import {UnknownDataset, UnknownRoot, UnknownTerminal} from "../contracts/Common.sol";
import {IDataNameRegistry} from "../contracts/interfaces/IDataNameRegistry.sol";
import {IDataSharing} from "../contracts/interfaces/IDataSharing.sol";
import {ITerminalRegistry} from "../contracts/interfaces/ITerminalRegistry.sol";
import {LabelNotLowercase} from "../contracts/libraries/NameHash.sol";
import {Caller, RemixTestBase} from "./RemixTestBase.sol";
import {DatasetCount} from "./DatasetCount.sol";
import {DataAcquisitionDeployer, DataNameRegistryDeployer, TerminalRegistryDeployer} from "./Deployers.sol";

/// @title NamingTest
/// @author GridLedger
/// @notice remix-tests unit tests of the naming service: names hash (namehash) and resolve to terminals and datasets,
/// labels are checked, targets must exist, and only a name's owner changes it.
contract NamingTest is RemixTestBase {
    bytes32 private constant TERMINAL = keccak256("remix.bus7.meter");

    TerminalRegistry private registry;
    DataAcquisition private acquisition;
    DatasetCount private datasets;
    DataNameRegistry private names;
    Caller private stranger;
    bytes32 private top;
    bytes32 private meter;

    function beforeAll() public {
        registry = TerminalRegistryDeployer.deploy(address(this));
        acquisition = DataAcquisitionDeployer.deploy(registry, address(this));
        datasets = new DatasetCount();
        names = DataNameRegistryDeployer.deploy(acquisition, IDataSharing(address(datasets)), address(this));
        stranger = new Caller();
        registry.register(TERMINAL, address(0xBEEF), ITerminalRegistry.TerminalKind.SmartMeter, _location(7), "");
        top = names.registerTopLevel("gz", address(this));
        meter = names.registerSubname(top, "bus7", address(this));
    }

    /// A subname ("gz.bus7": labels run from the top level down) resolves, by name, to the terminal it names.
    function resolvesATerminalByName() public {
        Assert.equal(meter, names.namehash("gz.bus7"), "namehash of the subname");
        Assert.equal(names.ownerOf(meter), address(this), "owner");
        names.setTerminalTarget(meter, TERMINAL);
        IDataNameRegistry.Target memory target = names.resolveName("gz.bus7");
        Assert.equal(uint256(target.kind), uint256(IDataNameRegistry.TargetKind.Terminal), "kind");
        Assert.equal(target.value, TERMINAL, "terminal id");
    }

    /// Names are unique, lowercase, and point only at terminals and batches that exist.
    function refusesDuplicatesBadLabelsAndUnknownTargets() public {
        try names.registerSubname(top, "bus7", address(this)) {
            Assert.ok(false, "a duplicate name was registered");
        } catch (bytes memory reason) {
            assertReverted(
                reason,
                abi.encodeWithSelector(IDataNameRegistry.NameAlreadyRegistered.selector, meter),
                "dup"
            );
        }
        try names.registerSubname(top, "Bus8", address(this)) {
            Assert.ok(false, "an uppercase label was registered");
        } catch (bytes memory reason) {
            assertReverted(reason, abi.encodeWithSelector(LabelNotLowercase.selector, "Bus8", 0), "uppercase label");
        }
        try names.setTerminalTarget(meter, keccak256("nobody")) {
            Assert.ok(false, "an unknown terminal was named");
        } catch (bytes memory reason) {
            assertReverted(reason, abi.encodeWithSelector(UnknownTerminal.selector, keccak256("nobody")), "terminal");
        }
        try names.setBatchTarget(meter, keccak256("never anchored")) {
            Assert.ok(false, "a batch that was never anchored was named");
        } catch (bytes memory reason) {
            assertReverted(
                reason,
                abi.encodeWithSelector(UnknownRoot.selector, keccak256("never anchored")),
                "batch root"
            );
        }
    }

    /// Only a name's owner changes it; after a transfer the previous owner is refused too.
    function onlyTheOwnerChangesAName() public {
        (bool success, bytes memory reason) = stranger.forward(
            address(names),
            abi.encodeCall(names.setMetadataURI, (meter, "ipfs://x"))
        );
        assertForwardReverted(
            success,
            reason,
            abi.encodeWithSelector(IDataNameRegistry.NotNameOwner.selector, meter, address(stranger), address(this)),
            "stranger sets a target"
        );
        bytes32 spare = names.registerSubname(top, "spare", address(this));
        names.transfer(spare, address(stranger));
        Assert.equal(names.ownerOf(spare), address(stranger), "new owner");
        try names.setMetadataURI(spare, "ipfs://x") {
            Assert.ok(false, "the previous owner changed the name");
        } catch (bytes memory caught) {
            assertReverted(
                caught,
                abi.encodeWithSelector(
                    IDataNameRegistry.NotNameOwner.selector,
                    spare,
                    address(this),
                    address(stranger)
                ),
                "previous owner"
            );
        }
    }

    /// A name points at a dataset only once the dataset exists.
    function namesOnlyExistingDatasets() public {
        try names.setDatasetTarget(meter, 1) {
            Assert.ok(false, "a dataset that does not exist was named");
        } catch (bytes memory reason) {
            assertReverted(reason, abi.encodeWithSelector(UnknownDataset.selector, uint64(1)), "dataset");
        }
        datasets.setDatasetCount(1);
        names.setDatasetTarget(meter, 1);
        IDataNameRegistry.Target memory target = names.resolve(meter);
        Assert.equal(uint256(target.kind), uint256(IDataNameRegistry.TargetKind.Dataset), "kind");
        Assert.equal(uint256(target.value), 1, "dataset id");
    }
}
