import { expect } from "chai";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/**
 * No import cycles among our modules, counting type-only imports. ESLint's import-x/no-cycle (npm run lint) skips
 * `import type`, yet a type-level cycle still ties two modules together (as pipeline/summary and report/runReport
 * once were), so this check walks every import TypeScript sees.
 */
const ROOT = resolve(__dirname, "../..");
const FOLDERS = ["src", "tasks", "bench", "scripts", "examples"];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === "results" ? [] : tsFiles(path);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

function localImports(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith("."))
    .map((spec) => resolve(dirname(file), spec))
    .flatMap((base) => [`${base}.ts`, join(base, "index.ts")].filter((p) => existsSync(p)).slice(0, 1));
}

/** Strongly connected components of more than one module (Tarjan), each as sorted repo-relative paths. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(relative(ROOT, w));
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("import graph", function () {
  it("has no cycles, type-only imports included", function () {
    const files = FOLDERS.flatMap((folder) => tsFiles(join(ROOT, folder)));
    const graph = new Map(files.map((file) => [file, localImports(file)]));
    expect(cycles(graph)).to.deep.equal([]);
  });

  it("keeps test/unit free of Hardhat, so `npm run test:unit` runs them under plain mocha", function () {
    const hardhatBound = (file: string) =>
      ts
        .preProcessFile(readFileSync(file, "utf8"), true, true)
        .importedFiles.map((f) => f.fileName)
        .some((spec) => spec === "hardhat" || spec.startsWith("hardhat/") || /(^|\/)hardhat\.config$/.test(spec));
    const offenders = tsFiles(join(ROOT, "test/unit"))
      .filter(hardhatBound)
      .map((f) => relative(ROOT, f));
    expect(offenders).to.deep.equal([]);
  });
});
