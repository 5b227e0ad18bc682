import { readFileSync } from "node:fs";

/** A text file GridLedger cannot read as UTF-8 (empty, UTF-16/32, invalid bytes), naming the file and line. */
export class TextFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = "TextFileError";
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** 1-based line of byte `offset` in `bytes` (counts LF bytes before it). */
function lineAtByte(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 10) line++;
  return line;
}

/**
 * Decodes a data file as UTF-8: a UTF-8 byte order mark is dropped (spreadsheets add one and it would stick to the
 * first column's name), while UTF-16/32 files, NUL bytes, invalid UTF-8 and empty files are refused with the line.
 */
export function decodeTextFile(file: string, bytes: Uint8Array): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new TextFileError(file, 1, "the file is UTF-16 (byte order mark FF FE / FE FF): save it as UTF-8");
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new TextFileError(file, lineAtByte(bytes, nul), "contains a NUL byte: not a UTF-8 text file (UTF-16?)");
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    // The first replacement character of a lenient decode marks the first bad sequence.
    const lenient = new TextDecoder("utf-8").decode(bytes);
    const line = lenient.slice(0, lenient.indexOf("\ufffd")).split("\n").length;
    throw new TextFileError(file, line, "invalid UTF-8: save the file as UTF-8");
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === "") throw new TextFileError(file, 1, "the file is empty");
  return text;
}

/** Reads a data file as UTF-8 text (see decodeTextFile). */
export function readTextFile(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a file" : String(e);
    throw new Error(`${file}: cannot read: ${why}`, { cause: e });
  }
  return decodeTextFile(file, bytes);
}
