/**
 * The 1-based line on which each element of a top-level JSON array starts, so errors about element i can name
 * its line. Assumes `text` already parsed as JSON (the scan only tracks strings and nesting).
 */
export function jsonArrayElementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectingElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") line++;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "\n") continue;
    if (depth === 1 && expectingElement && c !== "]") {
      lines.push(line);
      expectingElement = false;
    }
    if (c === '"') inString = true;
    else if (c === "[" || c === "{") {
      depth++;
      if (depth === 1 && c === "[") expectingElement = true;
    } else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 1) expectingElement = true;
  }
  return lines;
}
