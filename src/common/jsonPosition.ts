/**
 * Finds where a value sits in JSON text, so a schema error can name the file line as well as the
 * field. Only called on the error path: it assumes `text` already parsed with JSON.parse.
 */
export type JsonPath = ReadonlyArray<PropertyKey>;

function skipWs(text: string, i: number): number {
  while (i < text.length && " \t\r\n".includes(text[i])) i++;
  return i;
}

/** Index just past the string literal that starts at `i` (text[i] === '"'). */
function skipString(text: string, i: number): number {
  for (i++; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i + 1;
  }
  return i;
}

/** Index just past the JSON value that starts at `i`. */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c !== "{" && c !== "[") {
    while (i < text.length && !",}] \t\r\n".includes(text[i])) i++;
    return i;
  }
  let depth = 0;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') i = skipString(text, i) - 1;
    else if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return i;
}

/** Index of the start of the value at `path`, or the deepest enclosing value that exists. */
function locate(text: string, path: JsonPath): number {
  let i = skipWs(text, 0);
  for (const key of path) {
    const open = text[i];
    if (open !== "{" && open !== "[") return i;
    let index = 0;
    let found = -1;
    let j = skipWs(text, i + 1);
    while (j < text.length && text[j] !== "}" && text[j] !== "]") {
      let matches: boolean;
      if (open === "{") {
        const end = skipString(text, j);
        matches = JSON.parse(text.slice(j, end)) === String(key);
        j = skipWs(text, skipWs(text, end) + 1); // past the colon
      } else {
        matches = index === Number(key);
      }
      if (matches) {
        found = j;
        break;
      }
      j = skipWs(text, skipValue(text, j));
      if (text[j] === ",") j = skipWs(text, j + 1);
      index++;
    }
    if (found < 0) return i;
    i = found;
  }
  return i;
}

/** 1-based line of the value at `path` in `text` (or of its closest existing parent). */
export function jsonLineOf(text: string, path: JsonPath): number {
  const at = locate(text, path);
  let line = 1;
  for (let k = 0; k < at && k < text.length; k++) if (text.charCodeAt(k) === 10) line++;
  return line;
}

/** Formats a path like `branches[12].x`. */
export function formatJsonPath(path: JsonPath): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  return out === "" ? "(root)" : out;
}
