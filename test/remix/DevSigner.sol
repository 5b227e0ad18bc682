// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title DevSigner
/// @author GridLedger
/// @notice Signs digests inside Solidity unit tests, where no wallet exists (Remix's test runner has no
/// signing cheatcode): ECDSA over secp256k1 with the fixed nonce k = 1.
/// @dev TEST KEYS ONLY: two signatures with one fixed nonce reveal the key. With k = 1 the nonce point is the
/// generator G, so r = Gx and s = k^-1 (e + r d) = e + r d (mod n). G's y is even, so v = 27; when s is in the
/// upper half it is negated (OZ ECDSA accepts low s only), which mirrors R and makes v = 28.
library DevSigner {
    /// @notice The secp256k1 group order n.
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    /// @notice The x coordinate of the secp256k1 generator G.
    uint256 internal constant GX = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798;

    /// @notice A 65-byte signature (r, s, v) of `digest` by private key `key`.
    /// @param key A private key in [1, n-1].
    /// @param digest The 32-byte hash to sign (e.g. an EIP-712 digest).
    /// @return The signature, as OZ ECDSA.recover takes it.
    function sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        uint256 s = addmod(uint256(digest) % N, mulmod(GX, key, N), N);
        uint8 v = 27;
        if (s > N / 2) {
            s = N - s;
            v = 28;
        }
        return abi.encodePacked(bytes32(GX), bytes32(s), v);
    }

    /// @notice The address of private key `key`, recovered from a signature it makes.
    /// @param key A private key in [1, n-1].
    /// @return The Ethereum address of the key.
    function addressOf(uint256 key) internal pure returns (address) {
        bytes32 digest = keccak256("GridLedger DevSigner");
        bytes memory signature = sign(key, digest);
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := mload(add(signature, 0x20))
            s := mload(add(signature, 0x40))
            v := byte(0, mload(add(signature, 0x60)))
        }
        return ecrecover(digest, v, r, s);
    }
}
