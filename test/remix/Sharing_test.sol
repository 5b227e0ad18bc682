// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import "remix_tests.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {DataAcquisition} from "../contracts/DataAcquisition.sol";
import {DataSharing} from "../contracts/DataSharing.sol";
import {TerminalRegistry} from "../contracts/TerminalRegistry.sol";
import {UnknownRoot} from "../contracts/Common.sol";
import {IDataSharing} from "../contracts/interfaces/IDataSharing.sol";
import {ITerminalRegistry} from "../contracts/interfaces/ITerminalRegistry.sol";
import {Caller, RemixTestBase} from "./RemixTestBase.sol";
import {DataAcquisitionDeployer, DataSharingDeployer, TerminalRegistryDeployer} from "./Deployers.sol";

/// @title SharingTest
/// @author GridLedger
/// @notice remix-tests unit tests of data sharing: a provider's dataset gets time-limited, revocable grants, and
/// malformed grants and datasets, or a caller without the provider role, are refused.
contract SharingTest is RemixTestBase {
    bytes32 private constant TERMINAL = keccak256("remix.bus7.meter");
    bytes32 private constant CIPHERTEXT = keccak256("iv || ciphertext || tag");

    TerminalRegistry private registry;
    DataAcquisition private acquisition;
    DataSharing private sharing;
    Caller private stranger;

    function beforeAll() public {
        registry = TerminalRegistryDeployer.deploy(address(this));
        acquisition = DataAcquisitionDeployer.deploy(registry, address(this));
        sharing = DataSharingDeployer.deploy(acquisition, address(this));
        stranger = new Caller();
        registry.register(TERMINAL, address(0xBEEF), ITerminalRegistry.TerminalKind.SmartMeter, _location(7), "");
        sharing.grantRole(sharing.PROVIDER_ROLE(), address(this));
    }

    /// A provider's stream dataset gets a grant that authorises until revoked; a second revoke is refused.
    function grantsAndRevokesAccess() public {
        uint64 id = sharing.registerStreamDataset(TERMINAL, 1, 1 + 86_400, "ipfs://dataset");
        Assert.equal(uint256(id), uint256(sharing.datasetCount()), "dataset id");

        address receiver = address(0xCAFE);
        Assert.ok(!sharing.isAuthorized(id, receiver), "authorised before any grant");
        sharing.grantAccess(id, receiver, uint40(block.timestamp + 3600), CIPHERTEXT);
        Assert.ok(sharing.isAuthorized(id, receiver), "not authorised after the grant");
        Assert.equal(sharing.grantOf(id, receiver).ciphertextHash, CIPHERTEXT, "ciphertext hash");
        sharing.revokeAccess(id, receiver);
        Assert.ok(!sharing.isAuthorized(id, receiver), "still authorised after the revoke");
        try sharing.revokeAccess(id, receiver) {
            Assert.ok(false, "a revoked grant was revoked again");
        } catch (bytes memory reason) {
            assertReverted(
                reason,
                abi.encodeWithSelector(IDataSharing.NoGrantToRevoke.selector, id, receiver),
                "second revoke"
            );
        }
    }

    /// Grants need a future expiry and a ciphertext hash; datasets need a provider and existing batches.
    function refusesMalformedGrantsAndDatasets() public {
        uint64 id = sharing.registerStreamDataset(TERMINAL, 10, 20, "");
        try sharing.grantAccess(id, address(0xCAFE), uint40(block.timestamp), CIPHERTEXT) {
            Assert.ok(false, "a grant expiring now was accepted");
        } catch (bytes memory reason) {
            assertReverted(
                reason,
                abi.encodeWithSelector(
                    IDataSharing.ExpiryNotInFuture.selector,
                    uint40(block.timestamp),
                    block.timestamp
                ),
                "expiry"
            );
        }
        try sharing.grantAccess(id, address(0xCAFE), uint40(block.timestamp + 60), bytes32(0)) {
            Assert.ok(false, "a grant without a ciphertext hash was accepted");
        } catch (bytes memory reason) {
            assertReverted(reason, abi.encodeWithSelector(IDataSharing.ZeroCiphertextHash.selector), "zero hash");
        }
        bytes32[] memory batches = new bytes32[](1);
        batches[0] = keccak256("never anchored");
        try sharing.registerBatchDataset(batches, "") {
            Assert.ok(false, "a dataset of a batch that was never anchored was registered");
        } catch (bytes memory reason) {
            assertReverted(reason, abi.encodeWithSelector(UnknownRoot.selector, batches[0]), "unknown root");
        }
        (bool success, bytes memory denied) = stranger.forward(
            address(sharing),
            abi.encodeCall(sharing.registerStreamDataset, (TERMINAL, 10, 20, ""))
        );
        assertForwardReverted(
            success,
            denied,
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                address(stranger),
                sharing.PROVIDER_ROLE()
            ),
            "stranger registers a dataset"
        );
    }
}
