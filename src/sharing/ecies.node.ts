import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { KEY_BYTES, Sealed, gcmOpen, gcmSeal } from "./aead.node";

/**
 * ECIES key wrap of a 32-byte data key for a secp256k1 public key:
 *   e        = fresh random secp256k1 key, E = e*G (compressed, 33 bytes)
 *   z        = x-coordinate of e*R (R = receiver public key), 32 bytes
 *   kek      = HKDF-SHA256(ikm = E || z, salt = ECIES_HKDF_SALT, info = ECIES_HKDF_INFO, 32 bytes)
 *   wrapped  = AES-256-GCM(kek, dataKey, aad)
 * Putting E in the IKM (as ISO 18033-2 ECIES-KEM does) ties the wrapping key to this ephemeral key.
 * Salt and info are fixed, versioned strings; changing either is a new bundle version.
 */
export const ECIES_HKDF_SALT = "GridLedger/sharing/v1/hkdf-salt";
export const ECIES_HKDF_INFO = "GridLedger/sharing/v1/data-key-wrap";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The key-encryption key from an ephemeral public key (compressed) and the ECDH x-coordinate. */
export function deriveWrappingKey(ephemeralPublicKey: Uint8Array, sharedX: Uint8Array): Uint8Array {
  const ikm = new Uint8Array(ephemeralPublicKey.length + sharedX.length);
  ikm.set(ephemeralPublicKey);
  ikm.set(sharedX, ephemeralPublicKey.length);
  return hkdf(sha256, ikm, utf8(ECIES_HKDF_SALT), utf8(ECIES_HKDF_INFO), KEY_BYTES);
}

/** ECDH x-coordinate between a private key and a public key (any SEC1 encoding). */
export function ecdhSharedX(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return secp256k1.getSharedSecret(privateKey, publicKey, true).subarray(1);
}

export interface WrappedKey extends Sealed {
  /** Compressed ephemeral public key E. */
  ephemeralPublicKey: Uint8Array;
}

/** Wraps `dataKey` for `receiverPublicKey` under a fresh ephemeral key (sender side). */
export function wrapDataKey(dataKey: Uint8Array, receiverPublicKey: Uint8Array, aad: Uint8Array): WrappedKey {
  const ephemeral = secp256k1.utils.randomSecretKey();
  const ephemeralPublicKey = secp256k1.getPublicKey(ephemeral, true);
  const kek = deriveWrappingKey(ephemeralPublicKey, ecdhSharedX(ephemeral, receiverPublicKey));
  ephemeral.fill(0);
  return { ephemeralPublicKey, ...gcmSeal(kek, dataKey, aad) };
}

/** Unwraps a data key with the receiver's private key; undefined when GCM authentication fails. */
export function unwrapDataKey(
  wrapped: WrappedKey,
  receiverPrivateKey: Uint8Array,
  aad: Uint8Array,
): Uint8Array | undefined {
  const kek = deriveWrappingKey(
    wrapped.ephemeralPublicKey,
    ecdhSharedX(receiverPrivateKey, wrapped.ephemeralPublicKey),
  );
  return gcmOpen(kek, wrapped, aad);
}
