/**
 * keccak256 through one reused hash-wasm hasher. hash-wasm only loads asynchronously, so callers
 * `await initMerkle()` once; every hashing function after that is synchronous. One shared hasher is
 * safe because each hash runs init/update/digest without yielding.
 */
import { createKeccak, type IHasher } from "hash-wasm";
import { bytesToHex, type Hex } from "./hex";

let hasher: IHasher | undefined;
let loading: Promise<void> | undefined;

/** Loads the WebAssembly keccak. Idempotent; concurrent callers share one load. */
export function initMerkle(): Promise<void> {
  loading ??= createKeccak(256).then((h) => {
    hasher = h;
  });
  return loading;
}

/** The loaded hasher, or a clear error if `initMerkle()` has not finished. */
export function keccakHasher(): IHasher {
  if (hasher === undefined) {
    throw new Error("src/merkle: keccak is not loaded yet; call `await initMerkle()` once before hashing");
  }
  return hasher;
}

/** keccak256(input) as a new 32-byte array. */
export function keccak256Bytes(input: Uint8Array): Uint8Array {
  return keccakHasher().init().update(input).digest("binary");
}

/** keccak256(input) as lowercase 0x hex. */
export function keccak256Hex(input: Uint8Array): Hex {
  return bytesToHex(keccak256Bytes(input));
}

/**
 * StandardMerkleTree leaf hash keccak256(keccak256(encoded)) written to `out` at `offset`.
 * The second hash makes a 64-byte leaf preimage unable to pass for an inner node.
 */
export function leafHashInto(encoded: Uint8Array, out: Uint8Array, offset: number): void {
  const h = keccakHasher();
  const inner = h.init().update(encoded).digest("binary");
  out.set(h.init().update(inner).digest("binary"), offset);
}
