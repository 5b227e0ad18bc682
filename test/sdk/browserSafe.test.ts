import { expect } from "chai";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";

/**
 * The browser-safe / Node-only naming rule of docs/architecture.md: `x.ts` runs in any JavaScript runtime and its
 * Node-only half is `x.node.ts`. These checks read import statements, so they fail before a bundler would.
 */
const ROOT = resolve(__dirname, "../..");
/** Folders the browser SDK entry draws from: every Node-only module in them must say so in its name. */
const BROWSER_FOLDERS = ["src/chain", "src/merkle", "src/naming", "src/sharing", "src/terminals", "src/sdk"];
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const NATIVE_ADDONS = new Set(["secp256k1"]);
const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)"([^"]+)"/gm;

function specifiers(file: string): string[] {
  // Type-only imports vanish at compile time, so they never reach a bundle.
  const code = readFileSync(file, "utf8").replace(/import\s+type\s[^;]*;|export\s+type\s[^;]*;/g, "");
  return [...code.matchAll(SPECIFIER)].map((m) => m[1]);
}

function resolveLocal(from: string, spec: string): string {
  const base = resolve(dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, "index.ts")]) if (existsSync(candidate)) return candidate;
  throw new Error(`${relative(ROOT, from)}: cannot resolve ${spec}`);
}

const isNodeOnlyImport = (spec: string): boolean => BUILTINS.has(spec) || NATIVE_ADDONS.has(spec);

/** Every local module reachable from `entry` through value imports. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of specifiers(file)) {
      if (spec.startsWith(".") && !spec.endsWith(".json")) stack.push(resolveLocal(file, spec));
    }
  }
  return seen;
}

describe("browser-safe module naming", function () {
  it("the browser SDK entry reaches no .node.ts module and no Node built-in", function () {
    const offenders: string[] = [];
    for (const file of reachable(join(ROOT, "src/sdk/index.ts"))) {
      const name = relative(ROOT, file);
      if (name.endsWith(".node.ts")) offenders.push(name);
      for (const spec of specifiers(file)) if (isNodeOnlyImport(spec)) offenders.push(`${name} imports ${spec}`);
    }
    expect(offenders).to.deep.equal([]);
  });

  it("names every Node-only module of the browser-facing folders x.node.ts", function () {
    const offenders: string[] = [];
    for (const folder of BROWSER_FOLDERS) {
      for (const entry of readdirSync(join(ROOT, folder))) {
        if (!entry.endsWith(".ts") || entry.endsWith(".node.ts") || entry.endsWith(".d.ts")) continue;
        const file = join(ROOT, folder, entry);
        for (const spec of specifiers(file)) {
          const nodeOnly = isNodeOnlyImport(spec) || (spec.startsWith(".") && spec.endsWith(".node"));
          if (nodeOnly) offenders.push(`${folder}/${entry} imports ${spec}`);
        }
      }
    }
    expect(offenders).to.deep.equal([]);
  });
});
