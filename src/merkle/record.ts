/**
 * The record leaf: how one GridLedger record is committed to in a batch Merkle tree. The Solidity
 * side (`contracts/libraries/RecordLeaf.sol`) hashes exactly this:
 *   payloadHash = keccak256(utf8(RFC 8785 canonical JSON of payload))
 *   leaf        = keccak256(keccak256(abi.encode(bytes32 terminalId, uint8 kind, uint64 timestamp, bytes32 payloadHash)))
 */
import canonicalize from "canonicalize";
import { z } from "zod";
import { AbiEncodeError, compileStaticEncoder } from "./abi";
import { bytesToHex, isHexOfLength, type Hex } from "./hex";
import { assertJsonObject, findNonJson, NotJsonError, type JsonObject } from "./json";
import { keccakHasher, leafHashInto } from "./keccak";

/** ABI types of a record leaf, in StandardMerkleTree leaf-encoding form. */
export const LEAF_TYPES = ["bytes32", "uint8", "uint64", "bytes32"] as const;
export type LeafTypes = typeof LEAF_TYPES;

/** What a record is about; stored as uint8 in the leaf. */
export const RecordKind = {
  Generic: 0,
  Reading: 1,
  PowerTransaction: 2,
  Event: 3,
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];
const KIND_NAMES = ["generic", "reading", "power transaction", "event"] as const;
const KIND_MESSAGE = `kind must be ${KIND_NAMES.map((n, k) => `${k} (${n})`).join(", ")}`;

/** One record. `P` lets callers keep a precise payload interface; it must still be plain JSON. */
export interface GridRecord<P extends object = JsonObject> {
  /** The producing terminal's 32-byte ID, 0x hex. */
  terminalId: string;
  kind: RecordKind;
  /** Unix seconds (uint64 on-chain; safe integers here). */
  timestamp: number;
  payload: P;
}
/** The brief's name for a record; `GridRecord` avoids shadowing TypeScript's `Record` utility. */
export type Record<P extends object = JsonObject> = GridRecord<P>;

/** Leaf values `[terminalId, kind, timestamp, payloadHash]` as StandardMerkleTree takes them. */
export type RecordLeaf = [terminalId: string, kind: RecordKind, timestamp: number, payloadHash: Hex];

const HEX32_MESSAGE = "expected 0x followed by 64 hex digits";
export const hex32Schema = z.custom<Hex>((v) => isHexOfLength(v, 32), HEX32_MESSAGE);

/** A JSON object whose every value is plain JSON; issues point at the offending field. */
export const jsonObjectSchema = z
  .custom<JsonObject>((v) => typeof v === "object" && v !== null && !Array.isArray(v), "expected a JSON object")
  .superRefine((payload, ctx) => {
    const found = findNonJson(payload, "payload");
    if (found !== undefined) ctx.addIssue({ code: "custom", message: found.reason, path: [...found.segments] });
  });

export const recordKindSchema = z
  .number({ error: KIND_MESSAGE })
  .refine((k): k is RecordKind => Number.isInteger(k) && k >= 0 && k < KIND_NAMES.length, KIND_MESSAGE)
  .transform((k) => k as RecordKind);

/** Schema for a record at the edge (files, RPC, CLI). Unknown fields are rejected: the leaf would not cover them. */
export const recordSchema = z.strictObject({
  terminalId: hex32Schema,
  kind: recordKindSchema,
  timestamp: z.number().int("timestamp must be whole unix seconds").min(0).max(Number.MAX_SAFE_INTEGER),
  payload: jsonObjectSchema,
});

/** Formats zod issues as `where.field[2]: message`, joined with "; ". */
export function formatIssues(error: z.ZodError, where: string): string {
  const path = (segments: readonly PropertyKey[]): string =>
    segments.reduce<string>((p, s) => (typeof s === "number" ? `${p}[${s}]` : `${p}.${String(s)}`), where);
  return error.issues.map((i) => `${path(i.path)}: ${i.message}`).join("; ");
}

/** Validates untrusted input as a record; the error names `where` and every bad field. */
export function parseRecord(input: unknown, where = "record"): GridRecord {
  const r = recordSchema.safeParse(input);
  if (!r.success) throw new Error(formatIssues(r.error, where));
  return r.data;
}

// UTF-8 of the canonical payload goes into one growing scratch buffer instead of a new array per record.
const utf8 = new TextEncoder();
let utf8Scratch = new Uint8Array(4096);

/** keccak256 of the UTF-8 canonical JSON (RFC 8785) of a plain JSON object, as bytes. */
export function payloadHashBytes(payload: object, where = "payload"): Uint8Array {
  assertJsonObject(payload, where);
  const text = canonicalize(payload) as string;
  if (utf8Scratch.length < 3 * text.length) utf8Scratch = new Uint8Array(2 * 3 * text.length);
  const { written } = utf8.encodeInto(text, utf8Scratch);
  return keccakHasher().init().update(utf8Scratch.subarray(0, written)).digest("binary");
}

/** keccak256(utf8(canonicalize(payload))) as 0x hex. */
export function payloadHash(payload: object): Hex {
  return bytesToHex(payloadHashBytes(payload));
}

const LEAF_ENCODER = compileStaticEncoder(LEAF_TYPES);
const LEAF_FIELDS = ["terminalId", "kind", "timestamp", "payloadHash"] as const;
const leafScratch = new Uint8Array(LEAF_ENCODER.size);

/** A record that cannot become a leaf; `path` is relative to the record ("" for the record itself). */
export class RecordLeafError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(path === "" ? reason : `${path}: ${reason}`);
    this.name = "RecordLeafError";
  }
}

/** Prefixes a record error with where the record is (e.g. `records[12]`); other errors pass through. */
export function locateRecordError(where: string, e: unknown): unknown {
  if (e instanceof RecordLeafError) return new Error(`${where}${e.path === "" ? ": " : "."}${e.message}`, { cause: e });
  if (e instanceof NotJsonError) return new Error(`${where}.${e.message}`, { cause: e });
  return e;
}

/**
 * Checks a record, hashes its payload and ABI-encodes its leaf into `encoded` (128 bytes at 0).
 * Returns the leaf values. Throws RecordLeafError or NotJsonError with paths relative to the
 * record, so the hot loop builds no location strings; callers add them with `locateRecordError`.
 */
export function encodeRecordLeaf(record: GridRecord<object>, encoded: Uint8Array): RecordLeaf {
  if (typeof record !== "object" || record === null) throw new RecordLeafError("", "expected a record object");
  const { terminalId, kind, timestamp } = record as { terminalId: unknown; kind: unknown; timestamp: unknown };
  if (typeof terminalId !== "string")
    throw new RecordLeafError("terminalId", `${HEX32_MESSAGE}, got ${typeof terminalId}`);
  if (typeof kind !== "number" || !Number.isInteger(kind) || kind < 0 || kind >= KIND_NAMES.length) {
    throw new RecordLeafError("kind", `${KIND_MESSAGE}, got ${String(kind)}`);
  }
  if (typeof timestamp !== "number" || !Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RecordLeafError("timestamp", `expected whole unix seconds >= 0, got ${String(timestamp)}`);
  }
  const digest = payloadHashBytes(record.payload);
  try {
    LEAF_ENCODER.encodeInto([terminalId, kind, timestamp, digest], encoded, 0);
  } catch (e) {
    // Only terminalId can still be malformed here (e.g. not hex); name it, not the ABI field number.
    if (e instanceof AbiEncodeError) throw new RecordLeafError(LEAF_FIELDS[e.field], e.reason);
    throw e;
  }
  return [terminalId, kind as RecordKind, timestamp, bytesToHex(digest)];
}

/** The leaf values `[terminalId, kind, timestamp, payloadHash]` of a record. */
export function recordLeaf(record: GridRecord<object>): RecordLeaf {
  try {
    return encodeRecordLeaf(record, leafScratch);
  } catch (e) {
    throw locateRecordError("record", e);
  }
}

/** The StandardMerkleTree leaf hash of a record (what `RecordLeaves.hash` computes on-chain). */
export function recordLeafHash(record: GridRecord<object>): Hex {
  recordLeaf(record);
  const out = new Uint8Array(32);
  leafHashInto(leafScratch, out, 0);
  return bytesToHex(out);
}

/** The leaf hash of already computed leaf values. */
export function leafValuesHash(leaf: readonly unknown[]): Hex {
  LEAF_ENCODER.encodeInto(leaf, leafScratch, 0);
  const out = new Uint8Array(32);
  leafHashInto(leafScratch, out, 0);
  return bytesToHex(out);
}
