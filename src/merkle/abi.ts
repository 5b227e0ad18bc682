/**
 * A fast ABI encoder for tuples of static types (bytesN, uintN, intN, address, bool), the values
 * StandardMerkleTree leaves are made of. The type list is compiled once into per-field writers
 * that fill a caller-owned buffer, so encoding a leaf allocates nothing for hex or small numbers.
 * Output equals `AbiCoder.encode(types, values)` for these types.
 */
import { decodeHexInto } from "./hex";

/** A value for one static ABI field. */
export type AbiValue = string | number | bigint | boolean | Uint8Array;

/** A value that does not fit its ABI type; names the field and the type. */
export class AbiEncodeError extends Error {
  constructor(
    readonly field: number,
    readonly type: string,
    readonly reason: string,
  ) {
    super(`field ${field} (${type}): ${reason}`);
    this.name = "AbiEncodeError";
  }
}

/** Writes one 32-byte word at `offset` of `out` (`view` covers `out`); returns a reason if the value does not fit. */
type WordWriter = (value: unknown, out: Uint8Array, view: DataView, offset: number) => string | undefined;

export interface StaticEncoder {
  /** The ABI types, as given. */
  readonly types: readonly string[];
  /** Encoded size in bytes: 32 per field. */
  readonly size: number;
  /** Encodes `values` into `out` at `offset` (out must have `size` bytes free). */
  encodeInto(values: readonly unknown[], out: Uint8Array, offset?: number): void;
  /** Encodes `values` into a new array. */
  encode(values: readonly unknown[]): Uint8Array;
}

const TWO_32 = 2 ** 32;
const DECIMAL = /^-?[0-9]+$/;
const HEX_INT = /^0x[0-9a-fA-F]+$/;

/** Compiles a list of static ABI types. Throws on dynamic or unknown types. */
export function compileStaticEncoder(types: readonly string[]): StaticEncoder {
  if (!Array.isArray(types) || types.length === 0) throw new Error("ABI types: expected a non-empty array of types");
  const writers = types.map((t, i) => wordWriter(t, i));
  const size = 32 * types.length;
  // The DataView of the last output array, so callers reusing one scratch buffer allocate nothing.
  let lastOut: Uint8Array | undefined;
  let lastView: DataView | undefined;
  const encodeInto = (values: readonly unknown[], out: Uint8Array, offset = 0): void => {
    if (!Array.isArray(values) || values.length !== writers.length) {
      throw new Error(
        `ABI values: expected an array of ${writers.length} values for [${types.join(", ")}], got ${describe(values)}`,
      );
    }
    if (!(offset >= 0 && offset + size <= out.length)) {
      throw new RangeError(`ABI output: ${size} bytes at offset ${offset} do not fit in ${out.length} bytes`);
    }
    if (out !== lastOut) {
      lastOut = out;
      lastView = new DataView(out.buffer, out.byteOffset, out.byteLength);
    }
    const view = lastView as DataView;
    for (let i = 0; i < writers.length; i++) {
      const reason = writers[i](values[i], out, view, offset + 32 * i);
      if (reason !== undefined) throw new AbiEncodeError(i, types[i], reason);
    }
  };
  return {
    types: [...types],
    size,
    encodeInto,
    encode: (values) => {
      const out = new Uint8Array(size);
      encodeInto(values, out, 0);
      return out;
    },
  };
}

function wordWriter(type: string, field: number): WordWriter {
  if (type === "address") return addressWriter;
  if (type === "bool") return boolWriter;
  let m = /^bytes([0-9]+)$/.exec(type);
  if (m) {
    const n = Number(m[1]);
    if (n >= 1 && n <= 32 && String(n) === m[1]) return bytesWriter(n);
  }
  m = /^(u?)int([0-9]*)$/.exec(type);
  if (m) {
    const bits = m[2] === "" ? 256 : Number(m[2]);
    if (bits >= 8 && bits <= 256 && bits % 8 === 0 && (m[2] === "" || String(bits) === m[2])) {
      return m[1] === "u" ? uintWriter(bits) : intWriter(bits);
    }
  }
  throw new Error(
    `ABI types: field ${field} has type ${JSON.stringify(type)}; supported static types are bytes1..bytes32, uint8..uint256, int8..int256, address and bool`,
  );
}

function describe(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const s = typeof value === "string" ? JSON.stringify(value) : String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Sets `count` bytes from `o` to `byte`; a plain loop beats TypedArray.fill for a few bytes. */
function fillBytes(out: Uint8Array, o: number, count: number, byte: number): void {
  for (let k = o; k < o + count; k++) out[k] = byte;
}

function addressWriter(value: unknown, out: Uint8Array, _view: DataView, o: number): string | undefined {
  if (typeof value !== "string" || value.length !== 42 || !value.startsWith("0x")) {
    return `expected a 0x address of 40 hex digits, got ${describe(value)}`;
  }
  fillBytes(out, o, 12, 0);
  return decodeHexInto(value, out, o + 12) ? undefined : `not hex: ${describe(value)}`;
}

function boolWriter(value: unknown, out: Uint8Array, _view: DataView, o: number): string | undefined {
  if (typeof value !== "boolean") return `expected true or false, got ${describe(value)}`;
  fillBytes(out, o, 31, 0);
  out[o + 31] = value ? 1 : 0;
  return undefined;
}

function bytesWriter(n: number): WordWriter {
  return (value, out, _view, o) => {
    if (value instanceof Uint8Array) {
      if (value.length !== n) return `expected ${n} bytes, got ${value.length}`;
      out.set(value, o);
    } else if (typeof value === "string" && value.length === 2 + 2 * n && value.startsWith("0x")) {
      if (!decodeHexInto(value, out, o)) return `not hex: ${describe(value)}`;
    } else {
      return `expected 0x followed by ${2 * n} hex digits (or a Uint8Array of ${n}), got ${describe(value)}`;
    }
    // bytesN is left-aligned and zero-padded on the right.
    fillBytes(out, o + n, 32 - n, 0);
    return undefined;
  };
}

/** Number, bigint, decimal string or 0x hex string -> bigint or a safe-integer number. */
function toInteger(value: unknown): number | bigint | string {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) ? value : `${describe(value)} is not a safe integer (pass a bigint or string)`;
  }
  if (typeof value === "bigint") return value;
  if (typeof value === "string" && (DECIMAL.test(value) || HEX_INT.test(value))) {
    return value.startsWith("-") ? -BigInt(value.slice(1)) : BigInt(value);
  }
  return `expected an integer (number, bigint, decimal or 0x string), got ${describe(value)}`;
}

/** Writes a non-negative bigint below 2^256 as a big-endian word. */
function writeBigWord(v: bigint, view: DataView, offset: number): void {
  for (let k = 24; k >= 0; k -= 8) {
    view.setBigUint64(offset + k, BigInt.asUintN(64, v));
    v >>= 64n;
  }
}

/** Writes a safe integer (either sign) as a two's complement big-endian word. */
function writeSafeWord(v: number, out: Uint8Array, view: DataView, offset: number): void {
  const hi = Math.floor(v / TWO_32);
  fillBytes(out, offset, 24, v < 0 ? 0xff : 0);
  view.setInt32(offset + 24, hi);
  view.setUint32(offset + 28, v - hi * TWO_32);
}

function uintWriter(bits: number): WordWriter {
  const max = (1n << BigInt(bits)) - 1n;
  const maxNumber = bits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** bits - 1;
  return (value, out, view, offset) => {
    const v = toInteger(value);
    if (typeof v === "string") return v;
    if (typeof v === "number") {
      if (v < 0 || v > maxNumber) return `${v} is out of range for uint${bits}`;
      writeSafeWord(v, out, view, offset);
      return undefined;
    }
    if (v < 0n || v > max) return `${v} is out of range for uint${bits}`;
    writeBigWord(v, view, offset);
    return undefined;
  };
}

function intWriter(bits: number): WordWriter {
  const max = (1n << BigInt(bits - 1)) - 1n;
  const min = -(1n << BigInt(bits - 1));
  const maxNumber = bits > 53 ? Number.MAX_SAFE_INTEGER : 2 ** (bits - 1) - 1;
  const minNumber = bits > 53 ? Number.MIN_SAFE_INTEGER : -(2 ** (bits - 1));
  return (value, out, view, offset) => {
    const v = toInteger(value);
    if (typeof v === "string") return v;
    if (typeof v === "number") {
      if (v < minNumber || v > maxNumber) return `${v} is out of range for int${bits}`;
      writeSafeWord(v, out, view, offset);
      return undefined;
    }
    if (v < min || v > max) return `${v} is out of range for int${bits}`;
    writeBigWord(BigInt.asUintN(256, v), view, offset);
    return undefined;
  };
}
