// tsc re-emits the imported abi/*.json indented by four spaces; the published package ships them on one line.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2] ?? "dist/abi";
for (const name of readdirSync(dir).filter((n) => n.endsWith(".json"))) {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(JSON.parse(readFileSync(file, "utf8"))));
}
