import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { readCsv, type CsvRow } from "../common/csv";
import { jsonArrayElementLines } from "../common/jsonLines";
import { parseRecord, RecordKind, type GridRecord } from "../merkle";
import type { JsonObject, JsonValue } from "../merkle";

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
}

export interface LoadedRecord {
  record: GridRecord;
  /** Line of the row or entry in the file. */
  line: number;
}

const META_FIELDS = new Set(["terminalId", "terminal", "kind", "timestamp"]);
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** ISO 8601 with a zone, or whole unix seconds, to unix seconds. */
function parseTimestamp(value: unknown, file: string, line: number): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
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

function toRecord(flat: Record<string, JsonValue>, defaults: RecordDefaults, file: string, line: number): GridRecord {
  if (flat.timestamp === undefined) throw new RecordFileError(file, line, "timestamp", "missing");
  const dataFields = Object.keys(flat).filter((k) => !META_FIELDS.has(k));
  // A full record carries its payload as one object; a flat row's own fields are the payload.
  const isFullRecord = dataFields.length === 1 && dataFields[0] === "payload" && typeof flat.payload === "object";
  const payload: JsonObject = {};
  for (const k of dataFields) payload[k] = flat[k];
  const candidate = {
    terminalId: String(flat.terminalId ?? flat.terminal ?? defaults.terminalId),
    kind: parseKind(flat.kind, defaults.kind, file, line),
    timestamp: parseTimestamp(flat.timestamp, file, line),
    payload: isFullRecord ? flat.payload : payload,
  };
  try {
    return parseRecord(candidate, `${file}:${line}`);
  } catch (e) {
    throw new RecordFileError(file, line, undefined, (e as Error).message.replace(`${file}:${line}`, "record"));
  }
}

function csvCell(text: string): JsonValue {
  return JSON_NUMBER.test(text) ? Number(text) : text;
}

/**
 * Reads records from CSV or JSON. CSV: a `timestamp` column, optional `terminalId`/`terminal` and `kind`
 * columns, every other column becomes a payload field (cells that are JSON numbers become numbers). JSON: an
 * array of full records `{terminalId, kind, timestamp, payload}` or of flat objects read like CSV rows.
 */
export function readRecordsFile(file: string, defaults: RecordDefaults): LoadedRecord[] {
  const text = readFileSync(file, "utf8");
  const ext = extname(file).toLowerCase();
  if (ext === ".csv") {
    const table = readCsv(file, text);
    if (!table.header.includes("timestamp")) throw new RecordFileError(file, 1, "timestamp", "missing column");
    return table.rows.map((row: CsvRow) => {
      const flat: Record<string, JsonValue> = {};
      for (const [k, v] of Object.entries(row.cells)) flat[k] = META_FIELDS.has(k) ? v : csvCell(v);
      return { record: toRecord(flat, defaults, file, row.line), line: row.line };
    });
  }
  if (ext !== ".json")
    throw new RecordFileError(file, 1, undefined, `unsupported extension "${ext}" (use .csv or .json)`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RecordFileError(file, 1, undefined, `not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(json)) throw new RecordFileError(file, 1, undefined, "expected a JSON array of records");
  const lines = jsonArrayElementLines(text);
  return json.map((entry, i) => {
    const line = lines[i] ?? 1;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw new RecordFileError(file, line, undefined, `entry ${i} is not an object`);
    }
    return { record: toRecord(entry as Record<string, JsonValue>, defaults, file, line), line };
  });
}
