// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A label is empty (e.g. "gz..pmu" or a leading or trailing dot).
error EmptyLabel();
/// @notice A label is longer than {NameHash.MAX_LABEL_LENGTH} bytes.
/// @param label The label.
/// @param length Its length in bytes.
error LabelTooLong(string label, uint256 length);
/// @notice A label holds an upper-case letter; names are lower case only.
/// @param label The label.
/// @param position Zero-based byte position of the letter.
error LabelNotLowercase(string label, uint256 position);
/// @notice A label holds a byte outside [a-z0-9-].
/// @param label The label.
/// @param position Zero-based byte position.
/// @param character The offending byte.
error InvalidLabelCharacter(string label, uint256 position, bytes1 character);
/// @notice A label starts or ends with a hyphen.
/// @param label The label.
error LabelHyphenAtEdge(string label);
/// @notice A full name is longer than {NameHash.MAX_NAME_LENGTH} bytes.
/// @param length The full name's length in bytes (labels plus dots).
/// @param maxLength The limit.
error NameTooLong(uint256 length, uint256 maxLength);

/// @title NameHash
/// @author GridLedger
/// @notice ENS-style (EIP-137) name hashing with DNS hostname label rules, shared by DataNameRegistry, tests and
/// golden vectors (src/naming/namehash.ts computes the same bytes).
/// @dev Names read from the most general label to the most specific ("gz.ieee39.bus13.pmu": "gz" is top-level),
/// as GridLedger's terminal labels do, so the recursion runs left to right: namehash("") = 0 and
/// namehash(parent "." label) = keccak256(namehash(parent) || keccak256(label)). A node therefore equals the ENS
/// namehash of the reversed name (ENS reads right to left: "pmu.bus13.ieee39.gz"). Labels follow
/// RFC 1123 host names in lower case: 1-63 bytes of [a-z0-9-], no hyphen first or last; a full name is at most
/// 253 bytes. Internationalised labels must be punycoded ("xn--...") off-chain.
library NameHash {
    /// @notice The most bytes in one label (RFC 1035).
    uint256 internal constant MAX_LABEL_LENGTH = 63;
    /// @notice The most bytes in a full dotted name (RFC 1035 presentation form).
    uint256 internal constant MAX_NAME_LENGTH = 253;

    /// @notice Reverts with a named error unless `label` is a valid label.
    /// @param label The label, without dots.
    function checkLabel(string memory label) internal pure {
        bytes memory b = bytes(label);
        uint256 length = b.length;
        if (length == 0) revert EmptyLabel();
        if (length > MAX_LABEL_LENGTH) revert LabelTooLong(label, length);
        for (uint256 i = 0; i < length; ++i) {
            bytes1 c = b[i];
            if (c >= "a" && c <= "z") continue;
            if (c >= "0" && c <= "9") continue;
            if (c == "-") continue;
            if (c >= "A" && c <= "Z") revert LabelNotLowercase(label, i);
            revert InvalidLabelCharacter(label, i, c);
        }
        if (b[0] == "-" || b[length - 1] == "-") revert LabelHyphenAtEdge(label);
    }

    /// @notice keccak256 of a label's bytes.
    /// @param label The label.
    /// @return The label hash.
    function labelHash(string memory label) internal pure returns (bytes32) {
        return keccak256(bytes(label));
    }

    /// @notice The node of `label` under `parent`.
    /// @param parent The parent node (zero for a top-level name).
    /// @param label The label (not checked here).
    /// @return The child node.
    function child(bytes32 parent, string memory label) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(parent, labelHash(label)));
    }

    /// @notice The node of a dotted name such as "gz.ieee39.bus13.pmu", checking every label and the length.
    /// @param name The full name, most general label first; "" is the root (zero).
    /// @return node The namehash.
    function namehash(string memory name) internal pure returns (bytes32 node) {
        bytes memory b = bytes(name);
        if (b.length == 0) return node;
        if (b.length > MAX_NAME_LENGTH) revert NameTooLong(b.length, MAX_NAME_LENGTH);
        // Labels go left to right: the first label sits directly under the root.
        uint256 start = 0;
        for (uint256 i = 0; i < b.length; ++i) {
            if (b[i] == ".") {
                node = child(node, _checkedSlice(b, start, i));
                start = i + 1;
            }
        }
        node = child(node, _checkedSlice(b, start, b.length));
    }

    /// @dev b[start:end] as a string, checked as a label.
    function _checkedSlice(bytes memory b, uint256 start, uint256 end) private pure returns (string memory label) {
        bytes memory out = new bytes(end - start);
        for (uint256 i = start; i < end; ++i) {
            out[i - start] = b[i];
        }
        label = string(out);
        checkLabel(label);
    }
}
