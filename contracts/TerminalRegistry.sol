// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {GridLedgerBase} from "./abstract/GridLedgerBase.sol";
import {ITerminalRegistry} from "./interfaces/ITerminalRegistry.sol";
import {ZeroAddress} from "./Common.sol";

/// @title TerminalRegistry
/// @author GridLedger
/// @notice The registration contract of P003 (event-driven): binds each grid terminal to its signing key, kind,
/// location and status. Registrars run day-to-day changes; only the admin revokes, which is final.
/// @dev Bulk registration goes through {Multicall}. A key, once bound to a terminal, stays bound for good, so a
/// batch signed by a rotated-out key can still be attributed to its terminal.
contract TerminalRegistry is ITerminalRegistry, GridLedgerBase, Multicall {
    /// @notice May register terminals, suspend, reactivate and rotate keys.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @notice How long a registrar's key rotation waits at deployment (the admin changes it).
    uint40 public constant INITIAL_ROTATION_DELAY = 1 days;

    uint40 private _rotationDelay = INITIAL_ROTATION_DELAY;

    mapping(bytes32 terminalId => Terminal terminal) private _terminals;
    mapping(bytes32 terminalId => SignerEpoch[] epochs) private _signerHistory;
    mapping(address signer => bytes32 terminalId) private _terminalOfSigner;
    bytes32[] private _terminalIds;
    mapping(bytes32 terminalId => PendingRotation rotation) private _pendingRotations;

    /// @notice Deploys the registry with one admin.
    /// @param admin Receives the admin and registrar roles.
    constructor(address admin) GridLedgerBase(admin) {
        _grantRole(REGISTRAR_ROLE, admin);
    }

    // ---------------------------------------------------------------- external: writes

    /// @inheritdoc ITerminalRegistry
    function register(
        bytes32 terminalId,
        address signer,
        TerminalKind kind,
        Location calldata location,
        string calldata metadataURI
    ) external onlyRole(REGISTRAR_ROLE) {
        if (terminalId == bytes32(0)) revert ZeroTerminalId();
        if (_terminals[terminalId].status != TerminalStatus.Unregistered) {
            revert TerminalAlreadyRegistered(terminalId);
        }
        _bindSigner(terminalId, signer);

        Terminal storage terminal = _terminals[terminalId];
        terminal.signer = signer;
        terminal.kind = kind;
        terminal.status = TerminalStatus.Active;
        terminal.registeredAt = _now();
        terminal.statusChangedAt = _now();
        terminal.location = location;
        terminal.metadataURI = metadataURI;
        _signerHistory[terminalId].push(SignerEpoch({signer: signer, validFrom: _now(), validUntil: 0}));
        _terminalIds.push(terminalId);

        emit TerminalRegistered(terminalId, signer, kind, location, metadataURI);
    }

    /// @inheritdoc ITerminalRegistry
    function suspend(bytes32 terminalId) external onlyRole(REGISTRAR_ROLE) {
        _transition(terminalId, TerminalStatus.Active, TerminalStatus.Suspended);
        emit TerminalSuspended(terminalId);
    }

    /// @inheritdoc ITerminalRegistry
    function reactivate(bytes32 terminalId) external onlyRole(REGISTRAR_ROLE) {
        _transition(terminalId, TerminalStatus.Suspended, TerminalStatus.Active);
        emit TerminalReactivated(terminalId);
    }

    /// @inheritdoc ITerminalRegistry
    function revoke(bytes32 terminalId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        TerminalStatus from = _registeredStatus(terminalId);
        if (from == TerminalStatus.Revoked) revert InvalidStatusTransition(terminalId, from, TerminalStatus.Revoked);
        _setStatus(terminalId, TerminalStatus.Revoked);
        emit TerminalRevoked(terminalId);
    }

    /// @inheritdoc ITerminalRegistry
    function rotateSigner(bytes32 terminalId, address newSigner) external onlyRole(REGISTRAR_ROLE) {
        _checkRotatable(terminalId);
        PendingRotation storage pending = _pendingRotations[terminalId];
        if (pending.effectiveAt != 0) {
            revert RotationAlreadyPending(terminalId, pending.newSigner, pending.effectiveAt);
        }
        _bindSigner(terminalId, newSigner);
        if (_rotationDelay == 0 || hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            _rotate(terminalId, newSigner);
            return;
        }
        uint40 effectiveAt = _now() + _rotationDelay;
        pending.newSigner = newSigner;
        pending.effectiveAt = effectiveAt;
        emit SignerRotationScheduled(terminalId, newSigner, effectiveAt);
    }

    /// @inheritdoc ITerminalRegistry
    function applySignerRotation(bytes32 terminalId) external {
        PendingRotation memory pending = _pendingRotations[terminalId];
        if (pending.effectiveAt == 0) revert NoPendingRotation(terminalId);
        if (_now() < pending.effectiveAt) revert RotationNotDue(terminalId, pending.effectiveAt, _now());
        _checkRotatable(terminalId);
        delete _pendingRotations[terminalId];
        _rotate(terminalId, pending.newSigner);
    }

    /// @inheritdoc ITerminalRegistry
    function cancelSignerRotation(bytes32 terminalId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        address newSigner = _pendingRotations[terminalId].newSigner;
        if (newSigner == address(0)) revert NoPendingRotation(terminalId);
        delete _pendingRotations[terminalId];
        emit SignerRotationCancelled(terminalId, newSigner);
    }

    /// @inheritdoc ITerminalRegistry
    function setRotationDelay(uint40 delay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _rotationDelay = delay;
        emit RotationDelaySet(delay);
    }

    // ---------------------------------------------------------------- external: views

    /// @inheritdoc ITerminalRegistry
    function rotationDelay() external view returns (uint40) {
        return _rotationDelay;
    }

    /// @inheritdoc ITerminalRegistry
    function pendingRotation(bytes32 terminalId) external view returns (PendingRotation memory) {
        return _pendingRotations[terminalId];
    }

    // ---------------------------------------------------------------- internal: rotation

    /// @dev Reverts unless the terminal is registered and not revoked.
    function _checkRotatable(bytes32 terminalId) internal view {
        TerminalStatus status = _registeredStatus(terminalId);
        if (status == TerminalStatus.Revoked) revert InvalidStatusTransition(terminalId, status, status);
    }

    /// @dev Makes `newSigner` (already bound) the terminal's key now, closing the old key's epoch.
    function _rotate(bytes32 terminalId, address newSigner) internal {
        Terminal storage terminal = _terminals[terminalId];
        address oldSigner = terminal.signer;
        uint40 until = _now();
        SignerEpoch[] storage epochs = _signerHistory[terminalId];
        epochs[epochs.length - 1].validUntil = until;
        epochs.push(SignerEpoch({signer: newSigner, validFrom: until, validUntil: 0}));
        terminal.signer = newSigner;

        emit SignerRotated(terminalId, oldSigner, newSigner, until);
    }

    // ---------------------------------------------------------------- external: more views

    /// @inheritdoc ITerminalRegistry
    function isActive(bytes32 terminalId) external view returns (bool) {
        return _terminals[terminalId].status == TerminalStatus.Active;
    }

    /// @inheritdoc ITerminalRegistry
    function signerOf(bytes32 terminalId) external view returns (address) {
        return _terminals[terminalId].signer;
    }

    /// @inheritdoc ITerminalRegistry
    function signerAndStatus(bytes32 terminalId) external view returns (address signer, TerminalStatus status) {
        Terminal storage terminal = _terminals[terminalId];
        return (terminal.signer, terminal.status);
    }

    /// @inheritdoc ITerminalRegistry
    function signerAt(bytes32 terminalId, uint40 timestamp) external view returns (address) {
        SignerEpoch[] storage epochs = _signerHistory[terminalId];
        for (uint256 i = epochs.length; i > 0; --i) {
            SignerEpoch storage epoch = epochs[i - 1];
            // The first key also covers data from before the registration: a backfill of the meter's history.
            bool started = i == 1 || epoch.validFrom <= timestamp;
            if (started && (epoch.validUntil == 0 || timestamp < epoch.validUntil)) {
                return epoch.signer;
            }
        }
        return address(0);
    }

    /// @inheritdoc ITerminalRegistry
    function signerHistory(bytes32 terminalId) external view returns (SignerEpoch[] memory) {
        return _signerHistory[terminalId];
    }

    /// @inheritdoc ITerminalRegistry
    function getTerminal(bytes32 terminalId) external view returns (Terminal memory) {
        Terminal memory terminal = _terminals[terminalId];
        if (terminal.status == TerminalStatus.Unregistered) revert TerminalNotRegistered(terminalId);
        return terminal;
    }

    /// @inheritdoc ITerminalRegistry
    function terminalOfSigner(address signer) external view returns (bytes32) {
        return _terminalOfSigner[signer];
    }

    /// @inheritdoc ITerminalRegistry
    function terminalCount() external view returns (uint256) {
        return _terminalIds.length;
    }

    /// @inheritdoc ITerminalRegistry
    function terminalIdAt(uint256 index) external view returns (bytes32) {
        return _terminalIds[index];
    }

    // ---------------------------------------------------------------- internal

    /// @dev Binds a fresh key to a terminal, forever.
    function _bindSigner(bytes32 terminalId, address signer) internal {
        if (signer == address(0)) revert ZeroAddress("signer");
        bytes32 boundTo = _terminalOfSigner[signer];
        if (boundTo != bytes32(0)) revert SignerAlreadyBound(signer, boundTo);
        _terminalOfSigner[signer] = terminalId;
    }

    function _transition(bytes32 terminalId, TerminalStatus from, TerminalStatus to) internal {
        TerminalStatus current = _registeredStatus(terminalId);
        if (current != from) revert InvalidStatusTransition(terminalId, current, to);
        _setStatus(terminalId, to);
    }

    /// @dev The status of a registered terminal; reverts for an unknown id.
    function _registeredStatus(bytes32 terminalId) internal view returns (TerminalStatus status) {
        status = _terminals[terminalId].status;
        if (status == TerminalStatus.Unregistered) revert TerminalNotRegistered(terminalId);
    }

    function _setStatus(bytes32 terminalId, TerminalStatus to) internal {
        Terminal storage terminal = _terminals[terminalId];
        terminal.status = to;
        terminal.statusChangedAt = _now();
    }
}
