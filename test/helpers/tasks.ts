import hre from "hardhat";

/**
 * Runs a task in-process and returns what it printed; a task that throws or sets a failing exit code rejects with
 * an Error carrying its output (or the thrown message). The test run's own exit code is left untouched.
 */
export async function runTask(name: string, args: Record<string, unknown> = {}): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  const exitCode = process.exitCode;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  let failed: number | string | undefined;
  try {
    await hre.run(name, args);
    failed = process.exitCode;
  } finally {
    console.log = log;
    // A task's exit status is its own; it must not become the test run's.
    process.exitCode = exitCode;
  }
  const output = lines.join("\n");
  if (failed) throw new Error(output);
  return output;
}

/** The error message of a task expected to fail (fails the test if it succeeds). */
export async function taskError(name: string, args: Record<string, unknown> = {}): Promise<string> {
  try {
    await runTask(name, args);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`${name} succeeded but was expected to fail (${JSON.stringify(args)})`);
}
