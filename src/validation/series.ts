import { CsvError, numberCell, readCsv, requireColumns, timestampCell } from "../common/csv";

/** Column names of a load file: `timestamp,load_mw[,temperature_c]`; other columns are ignored. */
export const TIMESTAMP_COLUMN = "timestamp";
export const LOAD_COLUMN = "load_mw";
export const TEMPERATURE_COLUMN = "temperature_c";

/** A row left out of the series, by the caller's explicit choice (`skipMalformed`). */
export interface SkippedRow {
  line: number;
  reason: string;
}

/** A stretch of missing samples between two consecutive rows. */
export interface Gap {
  /** Last timestamp before the gap (ISO, UTC). */
  after: string;
  /** First timestamp after the gap (ISO, UTC). */
  before: string;
  /** Number of samples missing at the series step. */
  missing: number;
}

/** A regular time series of load readings (and optionally temperature), sorted by time. */
export interface LoadSeries {
  file: string;
  /** Epoch milliseconds, strictly increasing. */
  timestamps: number[];
  load: number[];
  /** Degrees Celsius per row, or null when the file has no temperature column. */
  temperature: number[] | null;
  /** The series step: the most common spacing between consecutive rows (ms). */
  stepMs: number;
  /** 1-based file line of each kept row, for error messages downstream. */
  lines: number[];
  skipped: SkippedRow[];
  gaps: Gap[];
}

export interface ReadLoadOptions {
  /** Skip malformed rows (counted and listed in `skipped`) instead of failing on the first one. */
  skipMalformed?: boolean;
  /** The file's text, when it is already in memory (tests); read from `file` otherwise. */
  text?: string;
}

/**
 * Reads a load CSV. Every malformed row (bad number, bad timestamp, duplicate or out-of-order
 * timestamp, off-grid spacing) is an error naming its file and line, unless `skipMalformed` is set,
 * in which case it is left out and reported in `skipped`. Gaps (missing samples) are listed, not filled.
 */
export function readLoadCsv(file: string, options: ReadLoadOptions = {}): LoadSeries {
  const table = readCsv(file, options.text);
  requireColumns(table, [TIMESTAMP_COLUMN, LOAD_COLUMN]);
  const hasTemperature = table.header.includes(TEMPERATURE_COLUMN);
  const skipped: SkippedRow[] = [];
  const parsed: { line: number; t: number; load: number; temp: number }[] = [];
  for (const row of table.rows) {
    try {
      const t = timestampCell(table, row, TIMESTAMP_COLUMN);
      const load = numberCell(table, row, LOAD_COLUMN);
      const temp = hasTemperature ? numberCell(table, row, TEMPERATURE_COLUMN) : NaN;
      const prev = parsed[parsed.length - 1];
      if (prev && t <= prev.t) {
        const what = t === prev.t ? "duplicate timestamp" : "timestamp earlier than the row before";
        throw new CsvError(file, row.line, TIMESTAMP_COLUMN, `${what} (line ${prev.line})`);
      }
      parsed.push({ line: row.line, t, load, temp });
    } catch (err) {
      if (!(err instanceof CsvError) || !options.skipMalformed) throw err;
      skipped.push({ line: err.line, reason: err.message });
    }
  }
  if (parsed.length < 2) throw new CsvError(file, 1, undefined, `need at least 2 valid rows, found ${parsed.length}`);

  const stepMs = modeSpacing(parsed.map((p) => p.t));
  const kept: typeof parsed = [parsed[0]];
  const gaps: Gap[] = [];
  for (let i = 1; i < parsed.length; i++) {
    const prev = kept[kept.length - 1];
    const diff = parsed[i].t - prev.t;
    if (diff % stepMs !== 0) {
      const err = new CsvError(
        file,
        parsed[i].line,
        TIMESTAMP_COLUMN,
        `off the ${stepMs / 60_000}-minute grid of the series (${diff / 60_000} min after line ${prev.line})`,
      );
      if (!options.skipMalformed) throw err;
      skipped.push({ line: err.line, reason: err.message });
      continue;
    }
    if (diff > stepMs) {
      gaps.push({ after: iso(prev.t), before: iso(parsed[i].t), missing: diff / stepMs - 1 });
    }
    kept.push(parsed[i]);
  }
  skipped.sort((a, b) => a.line - b.line);
  return {
    file,
    timestamps: kept.map((p) => p.t),
    load: kept.map((p) => p.load),
    temperature: hasTemperature ? kept.map((p) => p.temp) : null,
    stepMs,
    lines: kept.map((p) => p.line),
    skipped,
    gaps,
  };
}

/** The most common positive spacing between consecutive timestamps (ties: the smallest). */
function modeSpacing(ts: number[]): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < ts.length; i++) counts.set(ts[i] - ts[i - 1], (counts.get(ts[i] - ts[i - 1]) ?? 0) + 1);
  let best = 0;
  let bestCount = -1;
  for (const [d, c] of counts) if (c > bestCount || (c === bestCount && d < best)) [best, bestCount] = [d, c];
  return best;
}

const iso = (ms: number): string => new Date(ms).toISOString();
