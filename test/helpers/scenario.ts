import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Records of one terminal over one 15-minute window starting at `windowStart` (unix seconds). */
export function writeReadingsCsv(dir: string, name: string, windowStart: number, n = 12, offset = 0): string {
  const lines = ["timestamp,power_kw,voltage_v"];
  for (let i = 0; i < n; i++) {
    lines.push(
      `${new Date((windowStart + i * 60) * 1000).toISOString().replace(".000", "")},${(120 + offset + i * 1.25).toFixed(2)},${231 + (i % 3)}`,
    );
  }
  const file = join(dir, name);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

export function writeTerminalsJson(dir: string): string {
  const file = join(dir, "terminals.json");
  writeFileSync(
    file,
    JSON.stringify(
      [
        { id: "e2e.bus5.pmu", kind: "PMU", grid: "ieee39", bus: 5 },
        { id: "e2e.bus13.ttu", kind: "TTU", grid: "ieee39", bus: 13, geohash: "wsqqm" },
      ],
      null,
      2,
    ),
  );
  return file;
}

export function scratchDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `gridledger-${prefix}-`));
}

/** Sets the next block's timestamp and mines it (Hardhat and anvil both support these methods). */
export async function mineAt(
  send: (method: string, params: unknown[]) => Promise<unknown>,
  timestamp: number,
): Promise<void> {
  await send("evm_setNextBlockTimestamp", [timestamp]);
  await send("evm_mine", []);
}

/** The first 15-minute window that starts after `now`, leaving room to move the chain clock past it. */
export function futureWindow(now: number, timeScale = 900): number {
  return (Math.floor(now / timeScale) + 2) * timeScale;
}
