import { expect } from "chai";
import hre from "hardhat";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_REMIX_TESTS_DIR, runRemixTests } from "../../tasks/remix/remixTests";

/** remix-tests' hooks; every other public function of a test contract is a test. */
const HOOKS = new Set(["beforeAll", "beforeEach", "afterAll", "afterEach"]);

/** The test functions declared in the *_test.sol files, as remix-tests finds them. */
function declaredTests(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith("_test.sol"))
    .flatMap((f) =>
      [...readFileSync(join(dir, f), "utf8").matchAll(/function\s+(\w+)\s*\(\s*\)\s+public\b/g)]
        .map((m) => m[1])
        .filter((name) => !HOOKS.has(name)),
    );
}

describe("remix-tests Solidity unit tests (test/remix/*_test.sol)", function () {
  it("pass offline with the project's EVM and optimizer settings", async function () {
    this.timeout(600_000);
    const expected = declaredTests(join(hre.config.paths.root, DEFAULT_REMIX_TESTS_DIR));
    expect(expected.length, "test functions found").to.be.greaterThan(10);
    const result = await runRemixTests(hre, { tests: DEFAULT_REMIX_TESTS_DIR });
    const { evmVersion } = hre.config.solidity.compilers[0].settings as { evmVersion: string };
    expect(result.output).to.contain(`EVM set to ${evmVersion}`);
    expect({ passed: result.passed, failed: result.failed, exitCode: result.exitCode }, result.output).to.deep.equal({
      passed: expected.length,
      failed: 0,
      exitCode: 0,
    });
  });
});
