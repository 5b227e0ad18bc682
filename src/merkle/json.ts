/**
 * Plain JSON values and a check that a JavaScript value is one. Record payloads are hashed through
 * their RFC 8785 canonical form, and JSON.stringify would silently drop or rewrite anything else
 * (undefined, NaN, Date, Map, class instances), so such values must be rejected before hashing.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A value that is not plain JSON, with the path of the offending field (e.g. `payload.v[2]`). */
export class NotJsonError extends Error {
  /** The path as its segments after the root, for schema issue paths. */
  readonly segments: readonly (string | number)[];
  constructor(
    readonly root: string,
    segments: readonly (string | number)[],
    readonly reason: string,
  ) {
    const path = segments.reduce<string>(
      (p, s) =>
        typeof s === "number" ? `${p}[${s}]` : IDENTIFIER.test(s) ? `${p}.${s}` : `${p}[${JSON.stringify(s)}]`,
      root,
    );
    super(`${path}: ${reason}`);
    this.name = "NotJsonError";
    this.segments = [...segments];
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The first non-JSON value inside `value` as a NotJsonError (its path starts at `root`), or
 * undefined when `value` is plain JSON. Only the failing path is ever turned into a string.
 */
export function findNonJson(value: unknown, root: string): NotJsonError | undefined {
  const reason = walk(value, [], []);
  return reason === undefined ? undefined : new NotJsonError(root, reason.segments, reason.reason);
}

interface Found {
  segments: (string | number)[];
  reason: string;
}

const foundAt = (segments: (string | number)[], reason: string): Found => ({ segments: [...segments], reason });

/** Depth-first check; `segments` is the current path, `ancestors` the objects on it (cycle check). */
function walk(value: unknown, segments: (string | number)[], ancestors: object[]): Found | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : foundAt(segments, `${value} is not a JSON number`);
    case "undefined":
      return foundAt(segments, "undefined is not JSON (omit the field or use null)");
    case "bigint":
      return foundAt(segments, `bigint ${value}n is not JSON (use a decimal string)`);
    case "function":
    case "symbol":
      return foundAt(segments, `a ${typeof value} is not JSON`);
  }
  if (value === null) return undefined;
  const obj = value as object;
  if (ancestors.includes(obj)) return foundAt(segments, "circular reference");
  let result: Found | undefined;
  if (Array.isArray(obj)) {
    ancestors.push(obj);
    for (let i = 0; i < obj.length && result === undefined; i++) {
      segments.push(i);
      result = i in obj ? walk(obj[i], segments, ancestors) : foundAt(segments, "a sparse-array hole is not JSON");
      segments.pop();
    }
    ancestors.pop();
  } else if (!isPlainObject(obj)) {
    const name = (obj.constructor as { name?: string } | undefined)?.name ?? "object";
    result = foundAt(segments, `a ${name} is not plain JSON (convert it to a string, number or plain object)`);
  } else {
    ancestors.push(obj);
    const record = obj as { [key: string]: unknown };
    for (const key of Object.keys(record)) {
      segments.push(key);
      result = walk(record[key], segments, ancestors);
      segments.pop();
      if (result !== undefined) break;
    }
    ancestors.pop();
  }
  return result;
}

/** Throws a NotJsonError unless `value` is a plain JSON object. */
export function assertJsonObject(value: unknown, path: string): asserts value is JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
    throw new NotJsonError(path, [], `expected a JSON object, got ${got}`);
  }
  const found = findNonJson(value, path);
  if (found !== undefined) throw found;
}
