/**
 * A JSON reader for data files that never changes a value silently. JSON.parse rounds 12345678901234567890 to
 * 12345678901234567000 (so a different record would verify) and keeps only the last of two equal keys; here both
 * are refused with the line and the field, and syntax errors name a line instead of a character position.
 */
import type { JsonValue } from "../merkle/json";

export class JsonTextError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string | undefined,
    readonly reason: string,
  ) {
    super(`${file}:${line}${field ? ` field "${field}"` : ""}: ${reason}`);
    this.name = "JsonTextError";
  }
}

export interface ParsedJson {
  value: JsonValue;
  /** For a top-level array: the 1-based line on which each element starts. */
  elementLines: number[];
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** A decimal literal as sign, significant digits and exponent, so equal values compare equal as strings. */
function normalDecimal(text: string): string {
  const m = DECIMAL.exec(text);
  if (!m) return text;
  const frac = m[3] ?? "";
  let digits = (m[2] + frac).replace(/^0+/, "");
  if (digits === "") return "0";
  let exp = Number(m[4] ?? 0) - frac.length;
  const trimmed = digits.replace(/0+$/, "");
  exp += digits.length - trimmed.length;
  digits = trimmed;
  return `${m[1]}${digits}e${exp}`;
}

/**
 * The number a JSON numeric literal stands for, or undefined when a double cannot hold it exactly (RFC 8785
 * canonical JSON, which the payload hash uses, would then hash another number than the one written).
 */
export function exactNumber(literal: string): number | undefined {
  const n = Number(literal);
  if (!Number.isFinite(n)) return undefined;
  // -0 is written "0" by canonical JSON: still the same number.
  return normalDecimal(literal.replace(/^-(?=[0.]*(e|E|$))/, "")) === normalDecimal(String(n).replace(/^-0$/, "0"))
    ? n
    : undefined;
}

/** Why a literal is not exact, with the fix. */
export function inexactReason(literal: string): string {
  const n = Number(literal);
  if (!Number.isFinite(n)) return `number ${literal} is out of range: write it as a decimal string "${literal}"`;
  const what = /^-?\d+$/.test(literal)
    ? `integer ${literal} is beyond 2^53 and`
    : `number ${literal} has more digits than a double holds and`;
  return `${what} would be rounded to ${String(n)}: write it as a decimal string "${literal}" to keep it exact`;
}

/** Parses JSON text, keeping numbers exact and refusing duplicate keys; errors name `file`, the line and field. */
export function parseJsonExact(text: string, file: string): ParsedJson {
  let i = 0;
  const path: (string | number)[] = [];
  const elementLines: number[] = [];

  // Lines are counted forward from the last position asked for: element starts only move forward.
  let counted = 0;
  let countedLine = 1;
  const lineAt = (at: number): number => {
    if (at < counted) [counted, countedLine] = [0, 1];
    for (; counted < at && counted < text.length; counted++) if (text.charCodeAt(counted) === 10) countedLine++;
    return countedLine;
  };
  const field = (): string | undefined =>
    path.length === 0
      ? undefined
      : path.reduce<string>((p, s) => (typeof s === "number" ? `${p}[${s}]` : p === "" ? s : `${p}.${s}`), "");
  const fail = (at: number, reason: string): never => {
    throw new JsonTextError(file, lineAt(at), field(), reason);
  };
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      i++;
    }
  };
  const describe = (at: number) =>
    at >= text.length
      ? "the file ends early (truncated JSON?)"
      : `unexpected ${JSON.stringify(text.slice(at, at + 12))}`;

  const str = (): string => {
    const start = i;
    for (i++; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 92) i++;
      else if (c === 34) {
        i++;
        try {
          return JSON.parse(text.slice(start, i)) as string;
        } catch (e) {
          return fail(start, `bad string: ${(e as Error).message}`);
        }
      } else if (c < 32) return fail(i, "a control character (e.g. a line break) inside a string");
    }
    return fail(start, "a string is not closed (truncated JSON?)");
  };

  const value = (): JsonValue => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const obj: { [key: string]: JsonValue } = {};
      ws();
      if (text[i] === "}") {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(i, `expected a "key", ${describe(i)}`);
        const keyAt = i;
        const key = str();
        if (Object.prototype.hasOwnProperty.call(obj, key)) {
          path.push(key);
          fail(keyAt, "duplicate key (JSON would keep only the last value)");
        }
        ws();
        if (text[i] !== ":") fail(i, `expected ":", ${describe(i)}`);
        i++;
        path.push(key);
        obj[key] = value();
        path.pop();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return obj;
        }
        fail(i, `expected "," or "}", ${describe(i)}`);
      }
    }
    if (c === "[") {
      i++;
      const arr: JsonValue[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return arr;
      }
      for (;;) {
        ws();
        if (path.length === 0) elementLines.push(lineAt(i));
        path.push(arr.length);
        arr.push(value());
        path.pop();
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return arr;
        }
        fail(i, `expected "," or "]", ${describe(i)}`);
      }
    }
    if (c === '"') return str();
    for (const [word, v] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m) {
      const at = i;
      i += m[0].length;
      const n = exactNumber(m[0]);
      return n === undefined ? fail(at, inexactReason(m[0])) : n;
    }
    if (/^(NaN|-?Infinity)\b/.test(text.slice(i, i + 9)))
      fail(i, `${text.slice(i).match(/^-?\w+/)![0]} is not a JSON number`);
    return fail(i, `expected a value, ${describe(i)}`);
  };

  const result = value();
  ws();
  if (i < text.length) fail(i, `unexpected text after the JSON value: ${JSON.stringify(text.slice(i, i + 12))}`);
  return { value: result, elementLines };
}
