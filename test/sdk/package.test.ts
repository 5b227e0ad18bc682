import { expect } from "chai";
import hre from "hardhat";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
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
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a native import() that stays one whatever the compiler settings
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
      // The contract types and the ABIs the client attaches with; no factory (bytecode) is needed.
      expect(existsSync(join(out, "typechain-types/contracts/DataAcquisition.d.ts"))).to.equal(true);
      expect(existsSync(join(out, "abi/DataAcquisition.json"))).to.equal(true);

      const sdk = require(built(pkg.exports["."].default));
      expect(sdk.GridLedgerClient).to.be.a("function");
      expect(sdk.FastMerkleTree).to.be.a("function");
      const node = require(built(pkg.exports["./node"].default));
      expect(node.readProofs).to.be.a("function");
      expect(node.GridLedgerClient).to.equal(sdk.GridLedgerClient);
    });
  });

  describe("installed from its tarball into an empty project", function () {
    /** What `npm pack --json` reports about the tarball. */
    interface Packed {
      filename: string;
      size: number;
      unpackedSize: number;
      files: { path: string }[];
    }
    let packed: Packed;
    let project: string;
    /** A project outside the repository: Node's module lookup never reaches the repo's node_modules. */
    const node = (file: string, ...args: string[]) =>
      run(process.execPath, [file, ...args], { cwd: project, env: { ...process.env, NODE_PATH: "" } });

    before(async function () {
      this.timeout(600_000);
      await run("npm", ["run", "--silent", "build"], { cwd: ROOT });
      const packDir = scratchDir("pack");
      const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: ROOT });
      packed = (JSON.parse(stdout) as Packed[])[0];
      project = scratchDir("consumer");
      writeFileSync(
        join(project, "package.json"),
        JSON.stringify({ name: "consumer", version: "1.0.0", private: true }),
      );
      const vite = JSON.parse(readFileSync(join(ROOT, "node_modules/vite/package.json"), "utf8")).version;
      // Only the tarball (and Vite to bundle it): npm must bring the SDK's dependencies and its ethers peer itself.
      await run(
        "npm",
        ["install", "--no-audit", "--no-fund", "--prefer-offline", join(packDir, packed.filename), `vite@${vite}`],
        { cwd: project },
      );
      writeFileSync(join(project, "records.json"), JSON.stringify(RECORDS));
    });

    it("ships the built SDK, its types and ABIs only, without contract bytecode", function () {
      const paths = packed.files.map((f) => f.path);
      expect(paths).to.include.members(["package.json", "dist/src/sdk/index.js", "dist/abi/DataAcquisition.json"]);
      const unexpected = paths.filter(
        (p) => !/^(package\.json|README\.md|dist\/(src|typechain-types)\/.+\.(js|d\.ts)|dist\/abi\/\w+\.json)$/.test(p),
      );
      expect(unexpected).to.deep.equal([]);
      expect(paths.filter((p) => p.includes("__factory"))).to.deep.equal([]);
      // The budget catches bytecode, factories or sources shipped by mistake (any of them adds well over 100 kB);
      // the SDK itself is about 100 kB since proofs carry package signatures (issue 12).
      expect(packed.size, "packed size in bytes").to.be.below(120_000);
      expect(readFileSync(join(ROOT, "dist/abi/DataAcquisition.json"), "utf8"), "ABI on one line").to.not.include("\n");
    });

    it("installs ethers as a peer and the runtime dependencies into the project", function () {
      for (const dependency of ["ethers", "zod", "hash-wasm", "canonicalize"]) {
        expect(existsSync(join(project, "node_modules", dependency, "package.json")), dependency).to.equal(true);
      }
    });

    it("loads from CommonJS: both entries and the ABIs, and builds a tree", async function () {
      writeFileSync(
        join(project, "check.cjs"),
        `const sdk = require("gridledger");
        const nodeEntry = require("gridledger/node");
        const abi = require("gridledger/abi/DataAcquisition.json");
        const records = require("./records.json");
        sdk.initMerkle().then(() => console.log(JSON.stringify({
          root: sdk.FastMerkleTree.ofRecords(records).root,
          client: typeof sdk.GridLedgerClient,
          readProofs: typeof nodeEntry.readProofs,
          sameClient: nodeEntry.GridLedgerClient === sdk.GridLedgerClient,
          abi: Array.isArray(abi),
          ethers: require.resolve("ethers").startsWith(__dirname),
        })));`,
      );
      const { stdout } = await node("check.cjs");
      await initMerkle();
      expect(JSON.parse(stdout)).to.deep.equal({
        root: FastMerkleTree.ofRecords(RECORDS).root,
        client: "function",
        readProofs: "function",
        sameClient: true,
        abi: true,
        ethers: true,
      });
    });

    it("loads from ESM with named imports", async function () {
      writeFileSync(
        join(project, "check.mjs"),
        `import { readFileSync } from "node:fs";
        import { FastMerkleTree, GridLedgerClient, initMerkle } from "gridledger";
        import { readProofs } from "gridledger/node";
        const records = JSON.parse(readFileSync(new URL("./records.json", import.meta.url), "utf8"));
        await initMerkle();
        console.log(JSON.stringify({
          root: FastMerkleTree.ofRecords(records).root,
          client: typeof GridLedgerClient,
          readProofs: typeof readProofs,
        }));`,
      );
      const { stdout } = await node("check.mjs");
      await initMerkle();
      expect(JSON.parse(stdout)).to.deep.equal({
        root: FastMerkleTree.ofRecords(RECORDS).root,
        client: "function",
        readProofs: "function",
      });
    });

    it("bundles for the browser with Vite, with no Node built-in, and runs without Node globals", async function () {
      this.timeout(180_000);
      writeFileSync(
        join(project, "entry.js"),
        `import { FastMerkleTree, initMerkle } from "gridledger";
        export async function rootOf(records) {
          await initMerkle();
          return FastMerkleTree.ofRecords(records).root;
        }`,
      );
      writeFileSync(
        join(project, "vite.config.mjs"),
        `export default { build: { minify: false, lib: { entry: "entry.js", formats: ["iife"], name: "Consumer", fileName: "consumer" } } };`,
      );
      const { stdout, stderr } = await node("node_modules/vite/bin/vite.js", "build");
      // Vite replaces a Node built-in with an empty stub for the browser and says so: none may be imported.
      expect(`${stdout}\n${stderr}`).not.to.match(/externalized for browser compatibility/);
      const bundle = readdirSync(join(project, "dist")).find((f) => f.endsWith(".js"));
      const code = readFileSync(join(project, "dist", bundle!), "utf8");
      const sandbox = createContext({ TextEncoder, TextDecoder, console, setTimeout, clearTimeout });
      runInContext(`globalThis.self = globalThis;\n${code}\nglobalThis.Consumer = Consumer;`, sandbox);
      const root = await runInContext(
        `if (typeof Buffer !== "undefined" || typeof require !== "undefined") throw new Error("Node globals leaked");
        globalThis.Consumer.rootOf(${JSON.stringify(RECORDS)})`,
        sandbox,
      );
      await initMerkle();
      expect(root).to.equal(FastMerkleTree.ofRecords(RECORDS).root);
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
