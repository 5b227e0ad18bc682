// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVersioned} from "./IVersioned.sol";

/// @title ITerminalRegistry
/// @author GridLedger
/// @notice The registration contract of P003: maps each grid terminal (smart meter, FTU, TTU, PMU) to the key
/// that signs its data, its kind and its place in the grid.
interface ITerminalRegistry is IVersioned {
    enum TerminalKind {
        SmartMeter,
        FTU,
        TTU,
        PMU,
        Other
    }

    enum TerminalStatus {
        Unregistered,
        Active,
        Suspended,
        Revoked
    }

    /// @notice Where a terminal sits: a case or feeder id with a bus number, and/or a geohash.
    struct Location {
        bytes32 gridId;
        uint32 bus;
        bytes12 geohash;
    }

    /// @notice A terminal record. The first slot (signer, kind, status, times) is what anchoring reads.
    struct Terminal {
        address signer;
        TerminalKind kind;
        TerminalStatus status;
        uint40 registeredAt;
        uint40 statusChangedAt;
        Location location;
        string metadataURI;
    }

    /// @notice A key that signed for a terminal during `[validFrom, validUntil)`; `validUntil` 0 means current.
    struct SignerEpoch {
        address signer;
        uint40 validFrom;
        uint40 validUntil;
    }

    /// @notice A registrar's key rotation waiting for its delay: it takes effect at `effectiveAt`.
    struct PendingRotation {
        address newSigner;
        uint40 effectiveAt;
    }

    /// @notice The terminal id is zero.
    error ZeroTerminalId();
    /// @notice A terminal with this id is already registered.
    error TerminalAlreadyRegistered(bytes32 terminalId);
    /// @notice No terminal with this id is registered.
    error TerminalNotRegistered(bytes32 terminalId);
    /// @notice The signer key is already bound (now or in the past) to a terminal.
    error SignerAlreadyBound(address signer, bytes32 terminalId);
    /// @notice The terminal's status does not allow this operation.
    error InvalidStatusTransition(bytes32 terminalId, TerminalStatus from, TerminalStatus to);

    /// @notice The terminal has no scheduled key rotation.
    error NoPendingRotation(bytes32 terminalId);
    /// @notice The scheduled rotation's delay has not passed yet.
    error RotationNotDue(bytes32 terminalId, uint40 effectiveAt, uint256 now_);
    /// @notice The terminal already has a scheduled rotation (cancel it first).
    error RotationAlreadyPending(bytes32 terminalId, address newSigner, uint40 effectiveAt);

    /// @notice Emitted when a registrar schedules a key rotation, which takes effect after the rotation delay.
    /// @param terminalId The terminal.
    /// @param newSigner The key it will sign with.
    /// @param effectiveAt When {applySignerRotation} may make it current (unix seconds).
    event SignerRotationScheduled(bytes32 indexed terminalId, address indexed newSigner, uint40 effectiveAt);
    /// @notice Emitted when the admin cancels a scheduled rotation (the key stays bound, never reusable).
    /// @param terminalId The terminal.
    /// @param newSigner The key that will not take over.
    event SignerRotationCancelled(bytes32 indexed terminalId, address indexed newSigner);
    /// @notice Emitted when the admin sets how long a registrar's rotation waits.
    /// @param delay The new delay in seconds.
    event RotationDelaySet(uint40 delay);

    /// @notice Emitted when a terminal is registered.
    /// @param terminalId The terminal.
    /// @param signer Its signing key.
    /// @param kind Its type.
    /// @param location Where it sits.
    /// @param metadataURI Its metadata URI.
    event TerminalRegistered(
        bytes32 indexed terminalId,
        address indexed signer,
        TerminalKind kind,
        Location location,
        string metadataURI
    );
    /// @notice Emitted when a terminal is suspended; its batches are refused until it is reactivated.
    /// @param terminalId The terminal.
    event TerminalSuspended(bytes32 indexed terminalId);
    /// @notice Emitted when a suspended terminal is reactivated.
    /// @param terminalId The terminal.
    event TerminalReactivated(bytes32 indexed terminalId);
    /// @notice Emitted when a terminal is revoked for good.
    /// @param terminalId The terminal.
    event TerminalRevoked(bytes32 indexed terminalId);
    /// @notice Emitted when a terminal's signing key is replaced.
    /// @param terminalId The terminal.
    /// @param oldSigner The replaced key.
    /// @param newSigner The new key.
    /// @param oldValidUntil When the old key stopped being valid (unix seconds).
    event SignerRotated(
        bytes32 indexed terminalId,
        address indexed oldSigner,
        address indexed newSigner,
        uint40 oldValidUntil
    );

    /// @notice Registers a new, active terminal.
    /// @param terminalId A non-zero id, e.g. keccak256("ieee39.bus13.pmu").
    /// @param signer The key that signs the terminal's data; must not be bound to any terminal.
    /// @param kind The terminal type.
    /// @param location Where it sits in the grid.
    /// @param metadataURI A URI describing the device (may be empty).
    function register(
        bytes32 terminalId,
        address signer,
        TerminalKind kind,
        Location calldata location,
        string calldata metadataURI
    ) external;

    /// @notice Suspends an active terminal.
    /// @param terminalId The terminal.
    function suspend(bytes32 terminalId) external;

    /// @notice Reactivates a suspended terminal.
    /// @param terminalId The terminal.
    function reactivate(bytes32 terminalId) external;

    /// @notice Revokes an active or suspended terminal. Final.
    /// @param terminalId The terminal.
    function revoke(bytes32 terminalId) external;

    /// @notice Replaces a terminal's signing key, recording when the old key stopped being valid. From the admin (or
    /// with a zero {rotationDelay}) it takes effect at once; from a registrar it is scheduled and takes effect after
    /// the delay ({applySignerRotation}), so a registrar alone cannot swap in its own key and forge batches before
    /// anyone notices: the admin can cancel in the meantime.
    /// @param terminalId An active or suspended terminal.
    /// @param newSigner A key never bound to any terminal (bound now, even while scheduled).
    function rotateSigner(bytes32 terminalId, address newSigner) external;

    /// @notice Makes a scheduled rotation current once its delay has passed. Anyone may call it.
    /// @param terminalId The terminal.
    function applySignerRotation(bytes32 terminalId) external;

    /// @notice Cancels a scheduled rotation (admin only).
    /// @param terminalId The terminal.
    function cancelSignerRotation(bytes32 terminalId) external;

    /// @notice Sets how long a registrar's rotation waits before it can take effect (admin only).
    /// @param delay Seconds.
    function setRotationDelay(uint40 delay) external;

    /// @notice How long a registrar's rotation waits (seconds).
    /// @return The delay.
    function rotationDelay() external view returns (uint40);

    /// @notice The terminal's scheduled rotation (all zero if none).
    /// @param terminalId The terminal.
    /// @return The pending rotation.
    function pendingRotation(bytes32 terminalId) external view returns (PendingRotation memory);

    /// @notice Whether the terminal is registered and active.
    /// @param terminalId The terminal.
    /// @return True when active.
    function isActive(bytes32 terminalId) external view returns (bool);

    /// @notice The terminal's current signing key (zero if unregistered).
    /// @param terminalId The terminal.
    /// @return The signer address.
    function signerOf(bytes32 terminalId) external view returns (address);

    /// @notice The current signer and status in one read, for the anchor contract.
    /// @param terminalId The terminal.
    /// @return signer The current key.
    /// @return status The current status.
    function signerAndStatus(bytes32 terminalId) external view returns (address signer, TerminalStatus status);

    /// @notice The key that signed for the terminal at `timestamp` (zero if none). The first key also covers every
    /// time before its registration, so a meter's earlier history can be backfilled; later keys count from their
    /// rotation.
    /// @param terminalId The terminal.
    /// @param timestamp Unix seconds.
    /// @return The key valid then.
    function signerAt(bytes32 terminalId, uint40 timestamp) external view returns (address);

    /// @notice Every key the terminal has had, oldest first, with validity times.
    /// @param terminalId The terminal.
    /// @return The signer epochs.
    function signerHistory(bytes32 terminalId) external view returns (SignerEpoch[] memory);

    /// @notice The full terminal record. Reverts if unregistered.
    /// @param terminalId The terminal.
    /// @return The record.
    function getTerminal(bytes32 terminalId) external view returns (Terminal memory);

    /// @notice The terminal a key is (or was) bound to; zero if none.
    /// @param signer The key.
    /// @return The terminal id.
    function terminalOfSigner(address signer) external view returns (bytes32);

    /// @notice How many terminals were ever registered.
    /// @return The count.
    function terminalCount() external view returns (uint256);

    /// @notice The id of the `index`-th registered terminal (registration order).
    /// @param index Zero-based position.
    /// @return The terminal id.
    function terminalIdAt(uint256 index) external view returns (bytes32);
}
