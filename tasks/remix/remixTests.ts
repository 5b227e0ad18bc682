import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";

export const DEFAULT_REMIX_TESTS_DIR = "test/remix";
/** remix-tests compiles and runs in one process; a stuck simulator must not hang the test run. */
const TIMEOUT_MS = 5 * 60_000;

export interface RemixTestsOptions {
  tests: string;
  /** Print remix-tests' output as it runs (default true for the task, false when a test calls this). */
  echo?: boolean;
}

export interface RemixTestsResult {
  passed: number;
  failed: number;
  exitCode: number | null;
  /** remix-tests' output without colours and without the simulator's harmless dumpStorage noise. */
  output: string;
}

/**
 * The simulator's debugger tries to dump the storage of precompiles (ecrecover) and logs an error with a stack
 * for each; the call itself succeeds. Those lines are dropped so real failures stand out.
 */
function cleanOutput(text: string): string {
  // eslint-disable-next-line no-control-regex
  const lines = text.replace(/\x1b\[[0-9;]*m/g, "").split("\n");
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith("Error: dumpStorage f() can only be called for an existing account")) {
      while (i + 1 < lines.length && /^\s+at /.test(lines[i + 1])) i++;
      continue;
    }
    kept.push(lines[i]);
  }
  return kept.join("\n");
}

/**
 * Runs the remix-tests Solidity unit tests (`*_test.sol`) the way Remix's Solidity Unit Testing plugin does,
 * offline: from a scratch folder that mirrors a Remix workspace (`contracts/`, `tests/`, `@openzeppelin/` as
 * symlinks, since remix-tests resolves imports from the working folder), with the project's EVM version and
 * optimizer settings. remix-tests' CLI has no viaIR switch, so these tests compile without it; bytecode parity
 * with the viaIR build is what test/remix/flatten.test.ts checks.
 */
export async function runRemixTests(
  hre: HardhatRuntimeEnvironment,
  opts: RemixTestsOptions,
): Promise<RemixTestsResult> {
  const settings = hre.config.solidity.compilers[0].settings as {
    evmVersion: string;
    optimizer: { enabled: boolean; runs: number };
  };
  const root = hre.config.paths.root;
  const bin = join(dirname(require.resolve("@remix-project/remix-tests/package.json")), "bin", "remix-tests");
  const scratch = mkdtempSync(join(tmpdir(), "gridledger-remix-"));
  try {
    symlinkSync(join(root, "node_modules", "@openzeppelin"), join(scratch, "@openzeppelin"), "dir");
    symlinkSync(hre.config.paths.sources, join(scratch, "contracts"), "dir");
    symlinkSync(resolve(root, opts.tests), join(scratch, "tests"), "dir");
    const args = [
      bin,
      // Without -k true a failing test still exits 0. Never pass -c: it downloads a compiler.
      "-k",
      "true",
      "-e",
      settings.evmVersion,
      "-o",
      String(settings.optimizer.enabled),
      "-r",
      String(settings.optimizer.runs),
      // The trailing slash makes remix-tests treat the symlink as a folder of *_test.sol files.
      "tests/",
    ];
    const { exitCode, text } = await new Promise<{ exitCode: number | null; text: string }>((done, fail) => {
      const child = spawn(process.execPath, args, { cwd: scratch, stdio: ["ignore", "pipe", "pipe"] });
      let text = "";
      const collect = (chunk: Buffer) => {
        text += chunk.toString("utf8");
        if (opts.echo) process.stdout.write(cleanOutput(chunk.toString("utf8")));
      };
      child.stdout.on("data", collect);
      child.stderr.on("data", collect);
      const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
      child.on("error", fail);
      child.on("close", (code) => {
        clearTimeout(timer);
        done({ exitCode: code, text });
      });
    });
    const output = cleanOutput(text);
    const count = (label: string) => Number(new RegExp(`${label}: (\\d+)`).exec(output)?.[1] ?? 0);
    return { passed: count("Passed"), failed: count("Failed"), exitCode, output };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

gridTask("remix-tests", "Run the remix-tests Solidity unit tests (*_test.sol) offline, as Remix runs them", (t) =>
  t
    .addOptionalParam("tests", "Folder of *_test.sol files", DEFAULT_REMIX_TESTS_DIR)
    .setAction(async (args: RemixTestsOptions, hre) => {
      const result = await runRemixTests(hre, { ...args, echo: true });
      if (result.exitCode !== 0 || result.failed > 0 || result.passed === 0) {
        throw new Error(`remix-tests: ${result.passed} passed, ${result.failed} failed (exit code ${result.exitCode})`);
      }
    }),
);
