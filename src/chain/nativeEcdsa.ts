/**
 * secp256k1 signing and signer recovery through libsecp256k1 (the `secp256k1` package's native binding, with
 * its own pure-JS fallback). Node only. ethers' pure-JS curve takes ~3.5 ms to recover a signer and ~0.6 ms to
 * sign here; the binding takes ~0.16 ms and ~0.06 ms, which matters where a gateway checks thousands of packages
 * (bench/pipeline.ts). Both sides give the same RFC 6979 signatures and the same addresses (test/unit/nativeEcdsa.test.ts).
 */
import { computeAddress, getBytes, Signature, type SigningKey } from "ethers";
import secp256k1 from "secp256k1";

/** The 65-byte `r || s || v` signature (v = 27 + recovery id) of a 32-byte digest, as ethers serialises it. */
export function signDigest(key: SigningKey, digest: string): string {
  const { signature, recid } = secp256k1.ecdsaSign(getBytes(digest), getBytes(key.privateKey));
  return Signature.from({
    r: bytesHex(signature.subarray(0, 32)),
    s: bytesHex(signature.subarray(32, 64)),
    v: 27 + recid,
  }).serialized;
}

/** The address that signed `digest`. Throws on a malformed signature, as ethers' recoverAddress does. */
export function recoverSigner(digest: string, signature: string): string {
  const sig = Signature.from(signature);
  const rs = getBytes(sig.r + sig.s.slice(2));
  const publicKey = secp256k1.ecdsaRecover(rs, sig.yParity, getBytes(digest), false);
  return computeAddress(bytesHex(publicKey));
}

function bytesHex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}
