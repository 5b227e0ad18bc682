import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { HDNodeWallet, SigningKey, getAddress, hashMessage } from "ethers";
import { SharingError } from "./errors";

/** A receiver's secp256k1 public key in both SEC1 encodings, plus its Ethereum address. */
export interface ReceiverKey {
  /** 33-byte compressed SEC1 point. */
  compressed: Uint8Array;
  /** 65-byte uncompressed SEC1 point (0x04 || x || y). */
  uncompressed: Uint8Array;
  /** EIP-55 checksummed address: last 20 bytes of keccak256(x || y). */
  address: string;
}

const HEX = /^(0x)?[0-9a-fA-F]*$/;

export function hexToBytes(hex: string, what: string): Uint8Array {
  if (!HEX.test(hex) || hex.length % 2 !== 0)
    throw new SharingError("BAD_KEY", `${what} is not even-length hex: "${hex}"`);
  return new Uint8Array(Buffer.from(hex.replace(/^0x/, ""), "hex"));
}

export function bytesToHex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes).toString("hex");
}

/** The Ethereum address of a secp256k1 public key (any SEC1 encoding). */
export function addressOfPublicKey(publicKey: Uint8Array): string {
  const xy = secp256k1.Point.fromBytes(publicKey).toBytes(false).subarray(1);
  return getAddress(bytesToHex(keccak_256(xy).subarray(12)));
}

/**
 * Parses a receiver public key given as hex: compressed (33 bytes, 02/03), uncompressed
 * (65 bytes, 04) or raw x||y (64 bytes). Rejects points that are not on secp256k1.
 */
export function parsePublicKey(hex: string): ReceiverKey {
  let bytes = hexToBytes(hex.trim(), "receiver public key");
  if (bytes.length === 20) {
    throw new SharingError(
      "BAD_KEY",
      `${hex} is an address, not a public key: an address is a hash of the key and cannot be reversed. ` +
        "Pass the receiver's public key (0x02.../0x03... or 0x04...), recover it from a signed message " +
        "(publicKeyFromSignature), or use a known dev account's key (devAccountPublicKeys).",
    );
  }
  if (bytes.length === 64) bytes = Uint8Array.of(4, ...bytes);
  if (![33, 65].includes(bytes.length) || !secp256k1.utils.isValidPublicKey(bytes, bytes.length === 33)) {
    throw new SharingError("BAD_KEY", `receiver public key ${hex} is not a valid secp256k1 point (33, 64 or 65 bytes)`);
  }
  const point = secp256k1.Point.fromBytes(bytes);
  const uncompressed = point.toBytes(false);
  return { compressed: point.toBytes(true), uncompressed, address: addressOfPublicKey(uncompressed) };
}

/** Parses a 32-byte secp256k1 private key from hex (0x optional). */
export function parsePrivateKey(hex: string): Uint8Array {
  const bytes = hexToBytes(hex.trim(), "private key");
  if (bytes.length !== 32 || !secp256k1.utils.isValidSecretKey(bytes)) {
    throw new SharingError("BAD_KEY", "private key must be 32 bytes of hex in the secp256k1 range");
  }
  return bytes;
}

/** The public key (and address) belonging to a private key. */
export function publicKeyOfPrivateKey(privateKey: Uint8Array): ReceiverKey {
  return parsePublicKey(bytesToHex(secp256k1.getPublicKey(privateKey, true)));
}

/**
 * Recovers a receiver's public key from an EIP-191 `personal_sign` signature over `message`, and
 * checks it belongs to `expectedAddress` when one is given. This is how a receiver known only by
 * address proves which key to encrypt for.
 */
export function publicKeyFromSignature(message: string, signature: string, expectedAddress?: string): ReceiverKey {
  let recovered: string;
  try {
    recovered = SigningKey.recoverPublicKey(hashMessage(message), signature);
  } catch (err) {
    throw new SharingError("BAD_KEY", `cannot recover a public key from signature: ${(err as Error).message}`);
  }
  const key = parsePublicKey(recovered);
  if (expectedAddress !== undefined && key.address.toLowerCase() !== expectedAddress.toLowerCase()) {
    throw new SharingError("BAD_KEY", `signature was made by ${key.address}, not by ${expectedAddress}`);
  }
  return key;
}

/** Public keys of the first `count` accounts of a BIP-44 mnemonic (m/44'/60'/0'/0/i), keyed by lowercase address. */
export function devAccountPublicKeys(mnemonic: string, count: number): Map<string, ReceiverKey> {
  const root = HDNodeWallet.fromPhrase(mnemonic, undefined, "m/44'/60'/0'/0");
  const keys = new Map<string, ReceiverKey>();
  for (let i = 0; i < count; i++) {
    const key = parsePublicKey(root.deriveChild(i).publicKey);
    keys.set(key.address.toLowerCase(), key);
  }
  return keys;
}

/**
 * Resolves a `--receiver` argument: a public key is used as is; an address only works when it is
 * one of `knownKeys` (for example the dev accounts), since an address alone does not give a key.
 */
export function resolveReceiver(input: string, knownKeys: ReadonlyMap<string, ReceiverKey> = new Map()): ReceiverKey {
  const hex = input.trim();
  if (/^(0x)?[0-9a-fA-F]{40}$/.test(hex)) {
    const address = (hex.startsWith("0x") ? hex : `0x${hex}`).toLowerCase();
    const known = knownKeys.get(address);
    if (known) return known;
  }
  return parsePublicKey(hex);
}
