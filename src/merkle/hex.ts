/**
 * Hex <-> bytes for the Merkle hot paths, without intermediate strings or arrays. Output is always
 * lowercase with a 0x prefix, the form @openzeppelin/merkle-tree produces.
 */

/** A 0x-prefixed hex string. */
export type Hex = `0x${string}`;

/** Char code -> nibble value, 255 for a non-hex character. */
const NIBBLE = new Uint8Array(128).fill(255);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[65 + i] = 10 + i;
  NIBBLE[97 + i] = 10 + i;
}

/** Node's Buffer when running under Node; undefined in a browser, where the portable encoder is used. */
const NodeBuffer: typeof Buffer | undefined = (globalThis as { Buffer?: typeof Buffer }).Buffer;

/** Small inputs are copied here under Node: cheaper than making a Buffer view of them per call. */
const HEX_SCRATCH = NodeBuffer?.allocUnsafeSlow(64);

/** Byte -> two lowercase hex digits, for runtimes without Buffer. */
const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/**
 * A view of `bytes` that `bytesToHex` encodes fastest: a Buffer under Node (no copy), the array itself elsewhere.
 * Callers that encode many slices of one array keep this view instead of creating one per call.
 */
export function hexView(bytes: Uint8Array): Uint8Array {
  if (NodeBuffer === undefined || NodeBuffer.isBuffer(bytes)) return bytes;
  return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Lowercase 0x hex of `length` bytes of `bytes` from `offset`. Node's native hex encoder is about
 * 2.5x faster than building the string in JS; pass a Buffer (see `hexView`) to skip the copy or view.
 * Without Buffer (browsers) a lookup table builds the string.
 */
export function bytesToHex(bytes: Uint8Array, offset = 0, length = bytes.length - offset): Hex {
  if (NodeBuffer === undefined || HEX_SCRATCH === undefined) {
    let hex = "0x";
    for (let i = offset; i < offset + length; i++) hex += HEX_PAIRS[bytes[i]];
    return hex as Hex;
  }
  if (NodeBuffer.isBuffer(bytes)) return `0x${bytes.toString("hex", offset, offset + length)}`;
  if (length <= HEX_SCRATCH.length) {
    for (let i = 0; i < length; i++) HEX_SCRATCH[i] = bytes[offset + i];
    return `0x${HEX_SCRATCH.toString("hex", 0, length)}`;
  }
  return `0x${NodeBuffer.from(bytes.buffer, bytes.byteOffset + offset, length).toString("hex")}`;
}

/**
 * Decodes the hex digits of `hex` (after its 0x prefix) into `out` at `offset`. The caller has
 * checked the length; returns false if any character is not a hex digit.
 */
export function decodeHexInto(hex: string, out: Uint8Array, offset: number): boolean {
  const n = (hex.length - 2) >> 1;
  for (let i = 0, c = 2; i < n; i++, c += 2) {
    const a = hex.charCodeAt(c);
    const b = hex.charCodeAt(c + 1);
    const hi = a < 128 ? NIBBLE[a] : 255;
    const lo = b < 128 ? NIBBLE[b] : 255;
    if ((hi | lo) === 255) return false;
    out[offset + i] = (hi << 4) | lo;
  }
  return true;
}

/** True for a 0x string with exactly `bytes` bytes of hex digits. */
export function isHexOfLength(value: unknown, bytes: number): value is Hex {
  if (typeof value !== "string" || value.length !== 2 + 2 * bytes || !value.startsWith("0x")) return false;
  for (let c = 2; c < value.length; c++) {
    const code = value.charCodeAt(c);
    if (code >= 128 || NIBBLE[code] === 255) return false;
  }
  return true;
}

/** Decodes a 32-byte 0x hex string (a hash or node) into a new array; throws naming `what`. */
export function hex32ToBytes(hex: string, what: string): Uint8Array {
  const out = new Uint8Array(32);
  if (hex.length !== 66 || !hex.startsWith("0x") || !decodeHexInto(hex, out, 0)) {
    throw new Error(`${what}: expected 0x followed by 64 hex digits, got ${JSON.stringify(hex)}`);
  }
  return out;
}
