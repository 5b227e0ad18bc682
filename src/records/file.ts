import { extname } from "node:path";
import canonicalize from "canonicalize";
import { toTerminalId } from "../chain/ids";
import { readCsv, type CsvRow } from "../common/csv";
import { exactNumber, parseJsonExact } from "../common/exactJson";
import { readTextFile } from "../common/text";
import { parseRecord, RecordKind, type GridRecord } from "../merkle";
import type { JsonObject, JsonValue } from "../merkle";
import { payloadIssues } from "./payloads";

/** A bad row or entry in a records file, naming the file, line and field. */
export class RecordFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string | undefined,
    reason: string,
  ) {
    super(`${file}:${line}${field ? ` field "${field}"` : ""}: ${reason}`);
    this.name = "RecordFileError";
  }
}

export interface RecordDefaults {
  /** Used for rows without their own terminal id (the stream's terminal). */
  terminalId: string;
  kind?: number;
  /** The data type TY the file is anchored as: its payload schema (src/records/payloads.ts) checks every record. */
  dataType?: number;
}

export interface LoadedRecord {
  record: GridRecord;
  /** Line of the row or entry in the file. */
  line: number;
}

const META_FIELDS = new Set(["terminalId", "terminal", "kind", "timestamp"]);
const FULL_RECORD_FIELDS = new Set([...META_FIELDS, "payload"]);
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** ISO 8601 with a zone, or whole unix seconds, to unix seconds. */
function parseTimestamp(value: unknown, file: string, line: number): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === "string" && /^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) {
      if (ms % 1000 !== 0) throw new RecordFileError(file, line, "timestamp", `${value} has sub-second precision`);
      return ms / 1000;
    }
  }
  throw new RecordFileError(
    file,
    line,
    "timestamp",
    `expected ISO 8601 with a zone or unix seconds, got ${JSON.stringify(value)}`,
  );
}

function parseKind(value: unknown, fallback: number | undefined, file: string, line: number): number {
  if (value === undefined || value === "") {
    if (fallback === undefined) throw new RecordFileError(file, line, "kind", "missing (give a kind column or --kind)");
    return fallback;
  }
  const names: Record<string, number> = { generic: 0, reading: 1, transaction: 2, "power-transaction": 2, event: 3 };
  const n = typeof value === "number" ? value : (names[String(value).toLowerCase()] ?? Number(value));
  if (!Number.isInteger(n) || !Object.values(RecordKind).includes(n as RecordKind)) {
    throw new RecordFileError(
      file,
      line,
      "kind",
      `unknown kind ${JSON.stringify(value)} (0-3 or generic/reading/transaction/event)`,
    );
  }
  return n;
}

/**
 * One row or entry as a record. `flat` holds the row's fields; a JSON entry with a `payload` object is a full
 * record and may hold nothing else (a field outside the leaf would be dropped, so it is refused, not reshaped).
 */
function toRecord(flat: Record<string, JsonValue>, defaults: RecordDefaults, file: string, line: number): GridRecord {
  const isFullRecord = Object.prototype.hasOwnProperty.call(flat, "payload");
  if (isFullRecord) {
    const unknown = Object.keys(flat).find((k) => !FULL_RECORD_FIELDS.has(k));
    if (unknown !== undefined) {
      throw new RecordFileError(
        file,
        line,
        unknown,
        "unknown field: a record has terminalId, kind, timestamp and payload (put data fields inside payload)",
      );
    }
    const p = flat.payload;
    if (typeof p !== "object" || p === null || Array.isArray(p))
      throw new RecordFileError(file, line, "payload", "expected a JSON object");
  }
  if (flat.timestamp === undefined) throw new RecordFileError(file, line, "timestamp", "missing");
  const payload: JsonObject = {};
  if (!isFullRecord) for (const k of Object.keys(flat)) if (!META_FIELDS.has(k)) payload[k] = flat[k];
  const finalPayload = isFullRecord ? (flat.payload as JsonObject) : payload;
  if (defaults.dataType !== undefined) {
    const [issue] = payloadIssues(defaults.dataType, finalPayload);
    if (issue) {
      const field = isFullRecord ? `payload${issue.field ? `.${issue.field}` : ""}` : issue.field || undefined;
      throw new RecordFileError(file, line, field, `${issue.message} (data type ${defaults.dataType})`);
    }
  }
  const terminal = flat.terminalId ?? flat.terminal;
  let terminalId = defaults.terminalId;
  if (terminal !== undefined && terminal !== "") {
    try {
      terminalId = toTerminalId(String(terminal));
    } catch (e) {
      throw new RecordFileError(
        file,
        line,
        flat.terminalId !== undefined ? "terminalId" : "terminal",
        (e as Error).message,
      );
    }
  }
  const candidate = {
    terminalId,
    kind: parseKind(flat.kind, defaults.kind, file, line),
    timestamp: parseTimestamp(flat.timestamp, file, line),
    payload: finalPayload,
  };
  try {
    return parseRecord(candidate, `${file}:${line}`);
  } catch (e) {
    throw new RecordFileError(file, line, undefined, (e as Error).message.replace(`${file}:${line}`, "record"));
  }
}

/**
 * A CSV cell as a payload value: a JSON number a double holds exactly becomes a number; one it cannot hold (such
 * as 12345678901234567890) stays its exact decimal text; anything else stays text for the schema to judge.
 */
function csvCell(text: string): JsonValue {
  if (!JSON_NUMBER.test(text)) return text;
  return exactNumber(text) ?? text;
}

/** Refuses a record identical to an earlier one: it would be anchored twice under one leaf. */
function refuseDuplicates(file: string, loaded: readonly LoadedRecord[]): void {
  const first = new Map<string, number>();
  for (const { record, line } of loaded) {
    const key = canonicalize(record) as string;
    const earlier = first.get(key);
    if (earlier !== undefined)
      throw new RecordFileError(file, line, undefined, `duplicate row: the same record as line ${earlier}`);
    first.set(key, line);
  }
}

/**
 * Reads records from CSV or JSON. CSV: a `timestamp` column, optional `terminalId`/`terminal` and `kind`
 * columns, every other column becomes a payload field (cells that are JSON numbers become numbers, kept as
 * decimal text when a double cannot hold them exactly). JSON: an array of full records
 * `{terminalId, kind, timestamp, payload}` or of flat objects read like CSV rows; numbers must be exact.
 * With `defaults.dataType`, every payload must match that type's schema. Duplicate rows are refused.
 */
export function readRecordsFile(file: string, defaults: RecordDefaults): LoadedRecord[] {
  const loaded = readEntries(file, defaults);
  if (loaded.length === 0) throw new RecordFileError(file, 1, undefined, "no records in the file");
  refuseDuplicates(file, loaded);
  return loaded;
}

function readEntries(file: string, defaults: RecordDefaults): LoadedRecord[] {
  const ext = extname(file).toLowerCase();
  if (ext !== ".csv" && ext !== ".json")
    throw new RecordFileError(file, 1, undefined, `unsupported extension "${ext}" (use .csv or .json)`);
  const text = readTextFile(file);
  if (ext === ".csv") {
    const table = readCsv(file, text);
    if (!table.header.includes("timestamp")) {
      throw new RecordFileError(file, 1, "timestamp", `missing column (have ${table.header.join(", ")})`);
    }
    return table.rows.map((row: CsvRow) => {
      const flat: Record<string, JsonValue> = {};
      for (const [k, v] of Object.entries(row.cells)) flat[k] = META_FIELDS.has(k) ? v : csvCell(v);
      return { record: toRecord(flat, defaults, file, row.line), line: row.line };
    });
  }
  const { value: json, elementLines } = parseJsonExact(text, file);
  if (!Array.isArray(json)) throw new RecordFileError(file, 1, undefined, "expected a JSON array of records");
  return json.map((entry, i) => {
    const line = elementLines[i] ?? 1;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw new RecordFileError(file, line, undefined, `entry ${i} is not an object`);
    }
    return { record: toRecord(entry, defaults, file, line), line };
  });
}
