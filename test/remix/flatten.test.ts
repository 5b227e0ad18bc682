import { expect } from "chai";
import hre from "hardhat";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative } from "node:path";
import { deployables, type Deployable } from "../../tasks/common/deployables";
import { scratchDir } from "../helpers/scenario";

const ROOT = hre.config.paths.root;
const SOURCES = hre.config.paths.sources;

/** Every .sol file under a folder. */
function solidityFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return solidityFiles(path);
    return path.endsWith(".sol") ? [path] : [];
  });
}

/** Bytecode without solc's CBOR metadata tail (its last two bytes give the tail's length). */
function withoutMetadata(bytecode: string): string {
  const hex = bytecode.replace(/^0x/, "");
  const length = parseInt(hex.slice(-4), 16);
  return hex.slice(0, hex.length - 4 - 2 * length);
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<
    string,
    Record<string, { evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >;
}

/**
 * Compiles one standard-JSON input with solc-js in a child process (solc-js blocks its thread for 10-25 s per
 * viaIR contract, so the files compile in parallel, one per core), exactly as Remix hands a file to solc.
 */
function compileStandardJson(input: object): Promise<SolcOutput> {
  const script =
    "let s='';process.stdin.on('data',c=>s+=c).on('end',()=>process.stdout.write(require('solc').compile(s)))";
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", script], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`solc-js exited with ${code}`));
      resolve(JSON.parse(out) as SolcOutput);
    });
    child.stdin.end(JSON.stringify(input));
  });
}

/** Runs `task` over `items` with at most `limit` at a time, keeping the input order in the results. */
async function mapLimited<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

describe("Remix-compatible contracts", function () {
  describe("imports", function () {
    it("use only relative and @openzeppelin/contracts paths, and nothing from Hardhat", function () {
      const offending: string[] = [];
      for (const file of solidityFiles(SOURCES)) {
        // Harnesses under contracts/test are never deployed and never opened in Remix.
        if (relative(SOURCES, file).startsWith("test/")) continue;
        const text = readFileSync(file, "utf8");
        for (const [, path] of text.matchAll(/^\s*import\s+(?:[^"']*\sfrom\s+)?["']([^"']+)["']/gm)) {
          if (!path.startsWith("./") && !path.startsWith("../") && !path.startsWith("@openzeppelin/contracts/")) {
            offending.push(`${relative(ROOT, file)} imports ${path}`);
          }
        }
        if (/hardhat\/|console\.log\s*\(/.test(text)) offending.push(`${relative(ROOT, file)} uses Hardhat's console`);
      }
      expect(offending).to.deep.equal([]);
    });

    it("come from an exactly pinned @openzeppelin/contracts", function () {
      const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
      const spec: string =
        pkg.devDependencies["@openzeppelin/contracts"] ?? pkg.dependencies["@openzeppelin/contracts"];
      expect(spec, "package.json pins an exact version, so Remix users can match it").to.match(/^\d+\.\d+\.\d+$/);
      expect(require("@openzeppelin/contracts/package.json").version).to.equal(spec);
    });
  });

  describe("flattened sources (npm run flatten)", function () {
    let out: string;
    let contracts: Deployable[];

    before(async function () {
      out = scratchDir("flat");
      await hre.run("grid:flatten", { out });
      contracts = await deployables(hre);
    });

    it("are written for every deployable contract", function () {
      expect(readdirSync(out).sort()).to.deep.equal(contracts.map((c) => `${c.name}.sol`).sort());
      expect(contracts.map((c) => c.name)).to.include.members(["DataAcquisition", "TerminalRegistry"]);
    });

    it("compile with plain solc-js to Hardhat's bytecode, metadata aside", async function () {
      this.timeout(600_000);
      const solcVersion: string = require("solc/package.json").version;
      const results = await mapLimited(contracts, availableParallelism(), async (c) => {
        // The settings Hardhat compiled this artifact with, read back from its build info, not restated here.
        const buildInfo = await hre.artifacts.getBuildInfo(c.fullyQualifiedName);
        expect(buildInfo!.solcVersion, "Hardhat and solc-js are the same compiler").to.equal(solcVersion);
        const { outputSelection: _, ...settings } = buildInfo!.input.settings;
        const file = `${c.name}.sol`;
        const output = await compileStandardJson({
          language: "Solidity",
          sources: { [file]: { content: readFileSync(join(out, file), "utf8") } },
          settings: {
            ...settings,
            outputSelection: { [file]: { [c.name]: ["evm.bytecode", "evm.deployedBytecode"] } },
          },
        });
        const errors = (output.errors ?? []).filter((e) => e.severity === "error").map((e) => e.formattedMessage);
        return { c, errors, compiled: output.contracts?.[file]?.[c.name] };
      });
      // Under `hardhat coverage` the artifacts hold instrumented code, so only the clean compile can be checked.
      const instrumented = (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING;
      for (const { c, errors, compiled } of results) {
        expect(errors, `${c.name}: compile errors`).to.deep.equal([]);
        if (instrumented) continue;
        const artifact = await hre.artifacts.readArtifact(c.fullyQualifiedName);
        expect(withoutMetadata(compiled!.evm.deployedBytecode.object), `${c.name} runtime code`).to.equal(
          withoutMetadata(artifact.deployedBytecode),
        );
        expect(withoutMetadata(compiled!.evm.bytecode.object), `${c.name} creation code`).to.equal(
          withoutMetadata(artifact.bytecode),
        );
      }
    });
  });
});
