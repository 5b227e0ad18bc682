#!/usr/bin/env node
// forge wants a native solc; none exists offline here. This wrapper answers forge's two calls with solc-js from
// the pinned `solc` npm package: `--version`, and `--standard-json` (input on stdin, imports resolved against
// --base-path and --include-path like solc does).
const fs = require("node:fs");
const path = require("node:path");
const solc = require("solc");

const argv = process.argv.slice(2);
if (argv.includes("--version")) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!argv.includes("--standard-json")) {
  process.stderr.write(`solc-forge.js supports only --version and --standard-json (got: ${argv.join(" ")})\n`);
  process.exit(2);
}
const roots = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--base-path" || argv[i] === "--include-path") roots.push(argv[++i]);
  else if (argv[i].startsWith("--base-path=") || argv[i].startsWith("--include-path=")) roots.push(argv[i].split("=")[1]);
}
if (roots.length === 0) roots.push(process.cwd());
function findImports(p) {
  for (const root of roots) {
    const full = path.resolve(root, p);
    if (fs.existsSync(full)) return { contents: fs.readFileSync(full, "utf8") };
  }
  return { error: `File not found: ${p} (searched ${roots.join(", ")})` };
}
const input = fs.readFileSync(0, "utf8");
process.stdout.write(solc.compile(input, { import: findImports }));
