import { SharingError } from "./errors";

/** A JSON value that survives JSON.stringify / JSON.parse unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Throws unless `value` round-trips exactly through JSON: finite numbers only (NaN would become
 * null), no -0 (would become 0), no bigint (encode big integers as decimal strings), no undefined,
 * functions or class instances.
 */
function assertJson(value: unknown, path: string): asserts value is JsonValue {
  const fail = (why: string): never => {
    throw new SharingError("BAD_RECORDS", `${path}: ${why}`);
  };
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) fail(`${value} is not a finite number and has no JSON form`);
    if (Object.is(value, -0)) fail("-0 would come back as 0; use 0");
    return;
  }
  if (typeof value === "bigint") fail(`bigint ${value} is not JSON; encode big integers as decimal strings`);
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertJson(v, `${path}[${i}]`));
    return;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) assertJson(v, `${path}.${k}`);
    return;
  }
  fail(`${typeof value === "object" ? "a class instance" : typeof value} is not a plain JSON value`);
}

/**
 * Serialises records once to UTF-8 JSON. These exact bytes are what gets encrypted, and the
 * receiver gets them back byte for byte (openBundle also returns them).
 */
export function serialiseRecords(records: readonly unknown[]): Uint8Array {
  if (!Array.isArray(records)) throw new SharingError("BAD_RECORDS", "records must be an array");
  records.forEach((r, i) => assertJson(r, `records[${i}]`));
  return new TextEncoder().encode(JSON.stringify(records));
}

/** Parses decrypted record bytes back into the array. */
export function parseRecords(bytes: Uint8Array): JsonValue[] {
  const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  if (!Array.isArray(value)) throw new SharingError("BAD_RECORDS", "decrypted plaintext is not a JSON array");
  return value as JsonValue[];
}
