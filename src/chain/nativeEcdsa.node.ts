/**
 * secp256k1 signing and signer recovery through libsecp256k1 (the `secp256k1` package's native binding, with
 * its own pure-JS fallback). Node only. ethers' pure-JS curve takes ~3.5 ms to recover a signer and ~0.6 ms to
 * sign here; the binding takes ~0.06 ms for either, which matters where a gateway checks thousands of packages
 * (bench/pipeline.ts). The signature bytes are read and written directly: ethers' `Signature` object costs
 * more than the curve operation itself. Both sides give the same RFC 6979 signatures and the same addresses
 * (test/unit/nativeEcdsa.test.ts). Recovery hashes the public key with the WebAssembly keccak, so it needs
 * `await initMerkle()` once, like the record hashing it sits beside.
 */
import { getBytes, type SigningKey } from "ethers";
import { isMainThread } from "node:worker_threads";
import { keccak256Bytes } from "../merkle/keccak";
import { bytesToHex } from "../merkle/hex";
import { compare32 } from "../merkle/layout";

type Curve = typeof import("secp256k1");
let loaded: Curve | undefined;

/**
 * The curve, loaded on first use. The native binding keeps one process-wide reference to its class
 * (`Secp256k1Addon::constructor`) that every thread loading it overwrites: a worker thread that loaded it and ended
 * corrupted the heap (glibc "free(): invalid next size", the gateway core bench aborted). Worker threads get the
 * package's pure-JS curve; the gateway's threads (door, Merkle) never sign or recover, so none loads either.
 */
function curve(): Curve {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= (isMainThread ? require("secp256k1") : require("secp256k1/elliptic")) as Curve);
}

/** secp256k1n / 2, big-endian: a larger `s` is the malleable twin, refused as OZ ECDSA refuses it. */
const HALF_N = getBytes("0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");

const privateKeyBytes = new WeakMap<SigningKey, Uint8Array>();

function keyBytes(key: SigningKey): Uint8Array {
  let bytes = privateKeyBytes.get(key);
  if (bytes === undefined) privateKeyBytes.set(key, (bytes = getBytes(key.privateKey)));
  return bytes;
}

/** The 65-byte `r || s || v` signature (v = 27 + recovery id, low s) of a 32-byte digest, as ethers serialises it. */
export function signDigest(key: SigningKey, digest: string): string {
  const { signature, recid } = curve().ecdsaSign(getBytes(digest), keyBytes(key));
  return `${bytesToHex(signature)}${(27 + recid).toString(16)}`;
}

/**
 * The address that signed `digest`, in lowercase hex (callers compare addresses, and the checksum would cost a
 * second hash). Throws on a malformed signature: not 65 bytes, v not 27/28 (or 0/1), or a high `s`, which
 * OZ ECDSA refuses too.
 */
export function recoverSigner(digest: string, signature: string): string {
  const bytes = getBytes(signature, "signature");
  if (bytes.length !== 65) throw new Error(`signature: expected 65 bytes, got ${bytes.length}`);
  const v = bytes[64];
  const recid = v >= 27 ? v - 27 : v;
  if (recid !== 0 && recid !== 1) throw new Error(`signature: v must be 27 or 28 (or 0 or 1), got ${v}`);
  if (compare32(bytes, 32, HALF_N, 0) > 0) throw new Error("signature: s is in the upper half (malleable)");
  const publicKey = curve().ecdsaRecover(bytes.subarray(0, 64), recid, getBytes(digest), false);
  return bytesToHex(keccak256Bytes(publicKey.subarray(1)), 12, 20);
}
