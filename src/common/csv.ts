import { readTextFile } from "./text";

/** A CSV problem that names the file, the 1-based line and the column. */
export class CsvError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: string | undefined,
    readonly reason: string,
  ) {
    super(`${file}:${line}${column ? ` column "${column}"` : ""}: ${reason}`);
    this.name = "CsvError";
  }
}

export interface CsvRow {
  /** 1-based line number in the file (the header is line 1). */
  line: number;
  /** Cells by header name. */
  cells: Record<string, string>;
}

export interface CsvTable {
  file: string;
  header: string[];
  rows: CsvRow[];
}

const OTHER_DELIMITERS = [";", "\t", "|"] as const;

/**
 * Refuses a header a table cannot be read by: a column name used twice (one of the two would be dropped), an
 * unnamed column, or one single column that holds another delimiter (a semicolon- or tab-separated file).
 */
function checkHeader(file: string, line: number, header: readonly string[]): void {
  if (header.length === 1) {
    const other = OTHER_DELIMITERS.find((d) => header[0].includes(d));
    if (other !== undefined) {
      const name = other === "\t" ? "tab" : `"${other}"`;
      throw new CsvError(
        file,
        line,
        undefined,
        `the header is separated by ${name}, not by commas: save the file as comma-separated`,
      );
    }
  }
  const first = new Map<string, number>();
  header.forEach((h, j) => {
    if (h === "") throw new CsvError(file, line, undefined, `column ${j + 1} has no name`);
    const dup = first.get(h);
    if (dup !== undefined)
      throw new CsvError(file, line, h, `duplicate column (columns ${dup + 1} and ${j + 1}): rename or remove one`);
    first.set(h, j);
  });
}

/**
 * Reads a simple comma-separated file with a header line (no quoted commas: every GridLedger
 * input is numeric or ISO timestamps). Blank lines are ignored; a row with the wrong number of
 * cells, a duplicate or unnamed column and a file separated by another delimiter are errors naming their line.
 */
export function readCsv(file: string, text: string = readTextFile(file)): CsvTable {
  const lines = text.replace(/^\ufeff/, "").split(/\r?\n/);
  const headerLine = lines.findIndex((l) => l.trim() !== "");
  if (headerLine < 0) throw new CsvError(file, 1, undefined, "the file is empty (no header line)");
  const header = lines[headerLine].split(",").map((h) => h.trim());
  checkHeader(file, headerLine + 1, header);
  const rows: CsvRow[] = [];
  for (let i = headerLine + 1; i < lines.length; i++) {
    const raw = lines[i];
    if (raw.trim() === "") continue;
    const parts = raw.split(",");
    if (parts.length !== header.length) {
      throw new CsvError(file, i + 1, undefined, `expected ${header.length} cells, found ${parts.length}`);
    }
    const cells: Record<string, string> = {};
    header.forEach((h, j) => (cells[h] = parts[j].trim()));
    rows.push({ line: i + 1, cells });
  }
  return { file, header, rows };
}

/** Throws unless every named column is in the header. */
export function requireColumns(table: CsvTable, columns: readonly string[]): void {
  const missing = columns.filter((c) => !table.header.includes(c));
  if (missing.length > 0) {
    throw new CsvError(
      table.file,
      1,
      missing[0],
      `missing column(s) ${missing.join(", ")} (have ${table.header.join(", ")})`,
    );
  }
}

/** Parses a finite number from a cell, or throws a CsvError naming the line and column. */
export function numberCell(table: CsvTable, row: CsvRow, column: string): number {
  const text = row.cells[column];
  const value = text === "" || text === undefined ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new CsvError(table.file, row.line, column, `not a number: "${text ?? ""}"`);
  return value;
}

/** Parses an ISO 8601 timestamp with an explicit zone (Z or ±hh:mm) into epoch milliseconds. */
export function timestampCell(table: CsvTable, row: CsvRow, column: string): number {
  const text = row.cells[column] ?? "";
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    throw new CsvError(table.file, row.line, column, `not an ISO 8601 timestamp with a zone: "${text}"`);
  }
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new CsvError(table.file, row.line, column, `invalid date: "${text}"`);
  return ms;
}
