import { expect } from "chai";
import hre from "hardhat";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { createContext, runInContext } from "node:vm";
import { initMerkle, FastMerkleTree, RecordKind, toTerminalId, type GridRecord } from "../../src/sdk";
import { scratchDir } from "../helpers/scenario";

const run = promisify(execFile);
const ROOT = hre.config.paths.root;
const NODE_BUILTINS = new Set(builtinModules);

const RECORDS: GridRecord[] = Array.from({ length: 5 }, (_, i) => ({
  terminalId: toTerminalId("bundle.bus1.meter"),
  kind: RecordKind.Reading,
  timestamp: 1_767_225_600 + 60 * i,
  payload: { power_kw: 10 + i, note: i === 2 ? "Ünïcödé" : "ok" },
}));

interface BrowserBundle {
  code: string;
  nodeImports: string[];
}

/** Bundles the SDK's browser entry with Vite for the browser, recording every Node built-in it imports. */
async function bundleForBrowser(): Promise<BrowserBundle> {
  const { build } = await (new Function("s", "return import(s)")("vite") as Promise<typeof import("vite")>);
  const nodeImports: string[] = [];
  const output = await build({
    configFile: false,
    logLevel: "silent",
    root: ROOT,
    plugins: [
      {
        name: "record-node-builtins",
        enforce: "pre",
        resolveId(source, importer) {
          if (source.startsWith("node:") || NODE_BUILTINS.has(source.split("/")[0])) {
            nodeImports.push(`${source} (imported by ${importer ? relative(ROOT, importer) : "?"})`);
          }
          return null;
        },
      },
    ],
    build: {
      write: false,
      minify: false,
      lib: { entry: join(ROOT, "src/sdk/index.ts"), formats: ["iife"], name: "GridLedger" },
    },
  }).catch((e: unknown) => {
    // Rollup fails on names Vite's browser stub lacks; the Node imports are the better message.
    if (nodeImports.length > 0) return undefined;
    throw e;
  });
  if (output === undefined) return { code: "", nodeImports };
  const bundles = (Array.isArray(output) ? output : [output]) as { output: { type: string; code?: string }[] }[];
  const chunk = bundles[0].output.find((o) => o.type === "chunk");
  return { code: chunk!.code!, nodeImports };
}

describe("SDK package", function () {
  describe("browser bundle", function () {
    let bundle: BrowserBundle;

    before(async function () {
      this.timeout(180_000);
      bundle = await bundleForBrowser();
    });

    it("imports no Node built-in", function () {
      expect(bundle.nodeImports).to.deep.equal([]);
    });

    it("builds trees and checks proofs in a context without Node globals", async function () {
      // No Buffer, process, require or module: only what a browser page has that the SDK uses.
      const sandbox = createContext({ TextEncoder, TextDecoder, console, setTimeout, clearTimeout });
      runInContext(`globalThis.self = globalThis;\n${bundle.code}\nglobalThis.GridLedger = GridLedger;`, sandbox);
      const result = await runInContext(
        `(async () => {
          if (typeof Buffer !== "undefined") throw new Error("Buffer leaked into the sandbox");
          const G = globalThis.GridLedger;
          await G.initMerkle();
          const records = ${JSON.stringify(RECORDS)};
          const tree = G.FastMerkleTree.ofRecords(records);
          const proofs = G.buildBatchProofs(tree, records, {});
          const tampered = JSON.parse(JSON.stringify(proofs.proofs[2]));
          tampered.record.payload.power_kw = 99;
          return {
            root: tree.root,
            good: G.checkRecordProof(G.parseRecordProof(proofs.proofs[2], "p")),
            bad: G.checkRecordProof(tampered),
          };
        })()`,
        sandbox,
      );
      await initMerkle();
      expect(result.root).to.equal(FastMerkleTree.ofRecords(RECORDS).root);
      expect(result.good).to.deep.equal([]);
      expect(result.bad).to.deep.equal(["payload hash differs from the record's payload"]);
    });
  });

  describe("build", function () {
    it("compiles the SDK and its TypeChain types to the files package.json exports", async function () {
      this.timeout(180_000);
      // Into dist/ itself, as `npm run build` does: the built files must resolve ethers from node_modules.
      const out = join(ROOT, "dist");
      await run(join(ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.build.json"], { cwd: ROOT });
      const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
      const built = (path: string) => join(out, relative("dist", path));
      const targets = [
        pkg.main,
        pkg.types,
        ...Object.values<Record<string, string>>(pkg.exports).flatMap((e) =>
          typeof e === "string" ? [] : Object.values(e),
        ),
      ];
      for (const target of targets) {
        expect(existsSync(built(target)), `${target} is built`).to.equal(true);
      }
      expect(existsSync(join(out, "typechain-types/factories/contracts/DataAcquisition__factory.js"))).to.equal(true);

      const sdk = require(built(pkg.exports["."].default));
      expect(sdk.GridLedgerClient).to.be.a("function");
      expect(sdk.FastMerkleTree).to.be.a("function");
      const node = require(built(pkg.exports["./node"].default));
      expect(node.readProofs).to.be.a("function");
      expect(node.GridLedgerClient).to.equal(sdk.GridLedgerClient);
    });
  });

  describe("ABI files", function () {
    it("match the compiled artifacts (run `npm run abi` after changing a contract)", async function () {
      const out = scratchDir("abi");
      await hre.run("grid:abi", { out });
      const expected = readdirSync(out).sort();
      expect(readdirSync(join(ROOT, "abi")).sort()).to.deep.equal(expected);
      expect(expected).to.include.members(["DataAcquisition.json", "TerminalRegistry.json"]);
      for (const file of expected) {
        expect(readFileSync(join(ROOT, "abi", file), "utf8"), `abi/${file} is current`).to.equal(
          readFileSync(join(out, file), "utf8"),
        );
      }
    });
  });
});
