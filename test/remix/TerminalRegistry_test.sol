// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import "remix_tests.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {TerminalRegistry} from "../contracts/TerminalRegistry.sol";
import {ITerminalRegistry} from "../contracts/interfaces/ITerminalRegistry.sol";
import {Caller, RemixTestBase} from "./RemixTestBase.sol";
import {TerminalRegistryDeployer} from "./Deployers.sol";

/// @title TerminalRegistryTest
/// @author GridLedger
/// @notice remix-tests unit tests of TerminalRegistry: registration, status changes, key rotation and roles. This
/// contract is the registry's admin and registrar; `Caller` plays an account without roles.
contract TerminalRegistryTest is RemixTestBase {
    bytes32 private constant BUS5 = keccak256("remix.bus5.pmu");
    bytes32 private constant BUS13 = keccak256("remix.bus13.ttu");
    address private constant KEY1 = address(0x1001);
    address private constant KEY2 = address(0x1002);
    address private constant KEY3 = address(0x1003);

    TerminalRegistry private registry;
    Caller private stranger;

    function beforeAll() public {
        registry = TerminalRegistryDeployer.deploy(address(this));
        stranger = new Caller();
    }

    function registersAnActiveTerminal() public {
        registry.register(BUS5, KEY1, ITerminalRegistry.TerminalKind.PMU, _location(5), "ipfs://bus5");
        Assert.ok(registry.isActive(BUS5), "the terminal is active");
        Assert.equal(registry.signerOf(BUS5), KEY1, "its signer is bound");
        Assert.equal(registry.terminalOfSigner(KEY1), BUS5, "the key points back at it");
        Assert.equal(registry.terminalCount(), 1, "one terminal");
        Assert.equal(registry.terminalIdAt(0), BUS5, "listed first");
        ITerminalRegistry.Terminal memory t = registry.getTerminal(BUS5);
        Assert.equal(uint256(t.kind), uint256(ITerminalRegistry.TerminalKind.PMU), "kind");
        Assert.equal(uint256(t.location.bus), 5, "bus");
        Assert.equal(t.metadataURI, "ipfs://bus5", "metadata URI");
    }

    function rejectsADuplicateRegistration() public {
        try registry.register(BUS5, KEY2, ITerminalRegistry.TerminalKind.PMU, _location(5), "") {
            Assert.ok(false, "a second registration of the same id succeeded");
        } catch (bytes memory reason) {
            assertReverted(
                reason,
                abi.encodeWithSelector(ITerminalRegistry.TerminalAlreadyRegistered.selector, BUS5),
                "TerminalAlreadyRegistered(BUS5)"
            );
        }
    }

    function rejectsAKeyBoundToAnotherTerminal() public {
        try registry.register(BUS13, KEY1, ITerminalRegistry.TerminalKind.TTU, _location(13), "") {
            Assert.ok(false, "a key was bound twice");
        } catch (bytes memory reason) {
            assertReverted(
                reason,
                abi.encodeWithSelector(ITerminalRegistry.SignerAlreadyBound.selector, KEY1, BUS5),
                "SignerAlreadyBound(KEY1, BUS5)"
            );
        }
    }

    function suspendsAndReactivates() public {
        registry.suspend(BUS5);
        (, ITerminalRegistry.TerminalStatus status) = registry.signerAndStatus(BUS5);
        Assert.equal(uint256(status), uint256(ITerminalRegistry.TerminalStatus.Suspended), "suspended");
        Assert.ok(!registry.isActive(BUS5), "not active while suspended");
        registry.reactivate(BUS5);
        Assert.ok(registry.isActive(BUS5), "active again");
    }

    function rotatesTheSigningKey() public {
        registry.rotateSigner(BUS5, KEY2);
        Assert.equal(registry.signerOf(BUS5), KEY2, "the new key signs");
        Assert.equal(registry.signerHistory(BUS5).length, 2, "both keys are in the history");
        Assert.equal(registry.terminalOfSigner(KEY1), BUS5, "the old key stays bound to the terminal");
    }

    function revokesForGood() public {
        registry.revoke(BUS5);
        (, ITerminalRegistry.TerminalStatus status) = registry.signerAndStatus(BUS5);
        Assert.equal(uint256(status), uint256(ITerminalRegistry.TerminalStatus.Revoked), "revoked");
        try registry.reactivate(BUS5) {
            Assert.ok(false, "a revoked terminal was reactivated");
        } catch (bytes memory reason) {
            assertReverted(
                reason,
                abi.encodeWithSelector(
                    ITerminalRegistry.InvalidStatusTransition.selector,
                    BUS5,
                    ITerminalRegistry.TerminalStatus.Revoked,
                    ITerminalRegistry.TerminalStatus.Active
                ),
                "InvalidStatusTransition(BUS5, Revoked, Active)"
            );
        }
    }

    function refusesRegistrationsFromAnAccountWithoutTheRole() public {
        (bool success, bytes memory reason) = stranger.forward(
            address(registry),
            abi.encodeCall(
                TerminalRegistry.register,
                (BUS13, KEY3, ITerminalRegistry.TerminalKind.TTU, _location(13), "")
            )
        );
        assertForwardReverted(
            success,
            reason,
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                address(stranger),
                registry.REGISTRAR_ROLE()
            ),
            "AccessControlUnauthorizedAccount(stranger, REGISTRAR_ROLE)"
        );
        Assert.equal(registry.terminalCount(), 1, "nothing was registered");
    }
}
