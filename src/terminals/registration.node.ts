import { extname } from "node:path";
import { readCsv } from "../common/csv";
import { parseJsonExact } from "../common/exactJson";
import { readTextFile } from "../common/text";
import { TerminalFileError, toTerminalSpecs, type TerminalSpec } from "./registration";

export {
  listTerminals,
  registerTerminals,
  REGISTRATIONS_PER_TX,
  terminalEntrySchema,
  TerminalFileError,
  toTerminalSpecs,
  type RegistrationReport,
  type TerminalEntry,
  type TerminalRow,
  type TerminalSpec,
} from "./registration";

/**
 * Reads a terminals file (.json array or .csv with columns id,kind,grid,bus,geohash,signer,metadataURI). `id` is
 * a label such as "ieee39.bus13.pmu" (hashed to the id) or a 0x id. A missing `signer` means the development
 * key derived from `mnemonic` for that terminal.
 */
export function readTerminalsFile(file: string, mnemonic?: string): TerminalSpec[] {
  const text = readTextFile(file);
  let entries: { raw: unknown; line: number }[];
  if (extname(file).toLowerCase() === ".csv") {
    entries = readCsv(file, text).rows.map((r) => ({ raw: r.cells, line: r.line }));
  } else {
    const { value: json, elementLines } = parseJsonExact(text, file);
    if (!Array.isArray(json)) throw new TerminalFileError(file, 1, undefined, "expected a JSON array of terminals");
    entries = json.map((raw: unknown, i) => ({ raw, line: elementLines[i] ?? 1 }));
  }
  return toTerminalSpecs(entries, file, mnemonic);
}
