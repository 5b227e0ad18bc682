/**
 * Pipeline benchmark (issue 5 figures). Writes bench/results/pipeline.json.
 *
 * 1. The default day: `npx hardhat grid:run` as a user runs it (`npm start`), as a child process, timed end to
 *    end and by the run's own wallMs; gas per batch and per record from its summary.
 * 2. Off-chain throughput, validate -> sign -> tree, without the chain or the journal: per period, each
 *    terminal hashes and signs its package (EIP-712), the gateway checks the packages (registry, signature,
 *    window, replay) and validates every reading (SVR streaming validator), builds the batch trees and signs
 *    the headers. Generating the simulated values is not timed. Measured on the default scenario and with
 *    1 Hz data-source terminals (900 readings per package), since the per-package signature is a fixed cost.
 *
 *   npm run bench:pipeline [-- --periods 16 --day-runs 2 --scenarios 1,2,3]
 *   (or BENCH_PERIODS / BENCH_DAY_RUNS / BENCH_SCENARIOS; scenarios: 1 default, 2 IEEE 39 at 1 Hz, 3 IEEE 118 at 1 Hz)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { SigningKey } from "ethers";
import { acquisitionDomain, headerDigest } from "../src/chain/eip712";
import { signDigest } from "../src/chain/nativeEcdsa.node";
import { devTerminalWallet } from "../src/chain/keys";
import type { BatchHeader } from "../src/chain/types";
import { loadCase } from "../src/grid/case";
import { initMerkle } from "../src/merkle";
import { generatePeriod } from "../src/pipeline/generate";
import type { TerminalDirectory } from "../src/pipeline/ingest";
import { resolveRunOptions, type RunOptions } from "../src/pipeline/options";
import { signPackage } from "../src/pipeline/packages";
import { buildBatchTrees, checkPeriod, generationContext, previousDay } from "../src/pipeline/run";
import { scenarioTerminals } from "../src/pipeline/scenario";
import type { RunSummary } from "../src/pipeline/summary";
import { prepare, type Prepared } from "../src/validation/run";
import { createValidateStage } from "../src/pipeline/stages/check";

const RESULTS_FILE = join(__dirname, "results", "pipeline.json");
const TARGET_RECORDS_PER_SEC = 50_000;
const CHAIN_ID = 31337n;
const VERIFYING_CONTRACT = "0x" + "ab".repeat(20);

function numberArg(flag: string, env: string, fallback: number, min: number): number {
  const i = process.argv.indexOf(flag);
  const raw = i >= 0 ? process.argv[i + 1] : process.env[env];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} (${env}) must be an integer >= ${min}, got ${raw}`);
  return n;
}

/** `--scenarios 1,3` (or BENCH_SCENARIOS): run only these throughput scenarios, numbered from 1. */
function scenarioArg(count: number): number[] | undefined {
  const i = process.argv.indexOf("--scenarios");
  const raw = i >= 0 ? process.argv[i + 1] : process.env.BENCH_SCENARIOS;
  if (raw === undefined) return undefined;
  const picked = raw.split(",").map(Number);
  if (picked.some((n) => !Number.isInteger(n) || n < 1 || n > count)) {
    throw new Error(`--scenarios (BENCH_SCENARIOS) must list numbers from 1 to ${count}, got ${raw}`);
  }
  return picked;
}

interface DayRun {
  processMs: number;
  wallMs: number;
  records: number;
  gasPerBatch: number;
  gasPerRecord: number;
  quarantined: number;
}

/** `hardhat grid:run` with the defaults, as a child process (what `npm start` does). */
function defaultDay(): DayRun {
  const scratch = mkdtempSync(join(tmpdir(), "gridledger-bench-day-"));
  const out = join(scratch, "runs");
  const t0 = performance.now();
  const child = spawnSync(join("node_modules", ".bin", "hardhat"), ["grid:run", "--out", out], {
    encoding: "utf8",
    env: { ...process.env, GRIDLEDGER_DEPLOYMENTS_DIR: join(scratch, "deployments") },
  });
  const processMs = performance.now() - t0;
  if (child.status !== 0) throw new Error(`grid:run failed (exit ${child.status}):\n${child.stdout}\n${child.stderr}`);
  const [runId] = readdirSync(out);
  const s = JSON.parse(readFileSync(join(out, runId, "summary.json"), "utf8")) as RunSummary;
  return {
    processMs,
    wallMs: s.wallMs,
    records: s.records.total,
    gasPerBatch: s.gas.perBatch,
    gasPerRecord: s.gas.perRecord,
    quarantined: s.records.quarantined,
  };
}

export interface ThroughputResult {
  scenario: string;
  periods: number;
  records: number;
  packages: number;
  ms: { sign: number; check: number; tree: number; total: number };
  recordsPerSec: number;
  /** The gateway's share alone (check + validate + tree + header): terminals sign on their own hardware. */
  gatewayRecordsPerSec: number;
  meetsTarget: boolean;
}

/** validate -> sign -> tree over `periods` periods of a scenario, no chain and no journal (also used by bench:gateway). */
export async function throughput(
  name: string,
  partial: Partial<RunOptions>,
  periods: number,
  prepared: Prepared,
): Promise<ThroughputResult> {
  const opts = resolveRunOptions({ ...partial, out: tmpdir() });
  const loaded = loadCase({ case: opts.case });
  const terminals = scenarioTerminals(loaded.name, loaded.grid, opts.scenario);
  const keys = terminals.map((t) => new SigningKey(devTerminalWallet(t.terminalId).privateKey));
  // The registry as the chain would hold it: every scenario terminal active under its dev key.
  const directory: TerminalDirectory = new Map(
    terminals.map((t) => [
      t.terminalId.toLowerCase(),
      { label: t.label, signer: devTerminalWallet(t.terminalId).address, active: true },
    ]),
  );
  const chainStart = 1_900_000_000;
  const gen = generationContext(opts, loaded, terminals, keys, prepared, { chainId: CHAIN_ID, chainStart }, periods);
  const stage = createValidateStage({
    model: prepared.model,
    series: prepared.series,
    startMs: gen.dataStartMs,
    grid: loaded.grid,
    terminals,
  });
  const domain = acquisitionDomain(CHAIN_ID, VERIFYING_CONTRACT);
  const generatorKey = keys[0];
  const seen = new Set<string>();
  const ms = { sign: 0, check: 0, tree: 0, total: 0 };
  let records = 0;
  let packageCount = 0;

  for (let period = 0; period < periods; period++) {
    const packages = generatePeriod(gen, period);
    // Sign: what each terminal does (leaf hashing + EIP-712 package signature), timed on its own. Re-signing with
    // the terminal's own key also undoes the fault plan's wrong-key packages, so the validator sees every reading
    // (the heavier path); unregistered terminals' packages keep their own signature.
    let t0 = performance.now();
    for (const g of packages) {
      if (g.terminal < 0) continue;
      g.pkg = signPackage(keys[g.terminal], CHAIN_ID, g.pkg.terminalId, g.pkg.periodStart, g.pkg.records);
    }
    ms.sign += performance.now() - t0;
    const windowStart = chainStart + period * opts.periodSeconds;
    t0 = performance.now();
    const checked = checkPeriod(
      packages,
      { chainId: CHAIN_ID, directory, windowStart, windowEnd: windowStart + opts.periodSeconds, seen },
      stage,
      directory,
      period,
    );
    ms.check += performance.now() - t0;
    t0 = performance.now();
    for (const { type, members, tree } of buildBatchTrees(checked)) {
      const header: BatchHeader = {
        dataType: type.warpType,
        terminalId: terminals[0].terminalId,
        sequence: BigInt(period + 1),
        windowStart: BigInt(windowStart),
        windowEnd: BigInt(windowStart + opts.periodSeconds),
        recordCount: members.length,
        merkleRoot: tree.root,
        prevHeaderHash: `0x${"00".repeat(32)}`,
      };
      signDigest(generatorKey, headerDigest(domain, header));
    }
    ms.tree += performance.now() - t0;
    records += checked.length;
    packageCount += packages.length;
  }
  ms.total = ms.sign + ms.check + ms.tree;
  const recordsPerSec = records / (ms.total / 1000);
  return {
    scenario: name,
    periods,
    records,
    packages: packageCount,
    ms,
    recordsPerSec,
    gatewayRecordsPerSec: records / ((ms.check + ms.tree) / 1000),
    meetsTarget: recordsPerSec >= TARGET_RECORDS_PER_SEC,
  };
}

/** The throughput scenarios, numbered from 1 by --scenarios (bench:gateway plays the same compositions). */
export const THROUGHPUT_SCENARIOS: readonly [string, Partial<RunOptions>][] = [
  ["default (IEEE 39, sources 1/min, meters 1/15 min)", {}],
  [
    "1 Hz sources (IEEE 39, 900 readings per source package)",
    { scenario: { sourceSamplesPerPeriod: 900, meterSamplesPerPeriod: 1, minSourceNominalMw: 100 } },
  ],
  [
    "1 Hz sources (IEEE 118)",
    { case: "ieee118", scenario: { sourceSamplesPerPeriod: 900, meterSamplesPerPeriod: 1, minSourceNominalMw: 100 } },
  ],
];

/** Every scenario replays the same day, so one validator (trained on the data before it) serves all. */
export function benchValidator(): Promise<Prepared> {
  const defaults = resolveRunOptions({ out: tmpdir() });
  return prepare({
    data: defaults.loadFile,
    trainFrom: defaults.trainFrom,
    trainTo: previousDay(defaults.dataDay),
    preset: "fast",
    // The peer figures were measured with this calibration; nothing is tuned on this split.
    calibration: "validation",
    log: () => undefined,
  });
}

async function main(): Promise<void> {
  const periods = numberArg("--periods", "BENCH_PERIODS", 16, 1);
  const dayRuns = numberArg("--day-runs", "BENCH_DAY_RUNS", 2, 0);
  await initMerkle();

  const only = scenarioArg(THROUGHPUT_SCENARIOS.length);
  const scenarios = THROUGHPUT_SCENARIOS.filter((_, i) => only === undefined || only.includes(i + 1));
  const prepared = await benchValidator();
  const offChain: ThroughputResult[] = [];
  for (const [name, partial] of scenarios) {
    const r = await throughput(name, partial, periods, prepared);
    offChain.push(r);
    console.log(
      `${name}: ${r.records} records in ${r.packages} packages over ${r.periods} periods: ` +
        `${Math.round(r.recordsPerSec).toLocaleString("en")} records/s ` +
        `(gateway alone ${Math.round(r.gatewayRecordsPerSec).toLocaleString("en")}/s) ` +
        `(sign ${r.ms.sign.toFixed(0)} ms, check+validate ${r.ms.check.toFixed(0)} ms, tree+header ${r.ms.tree.toFixed(0)} ms)` +
        `${r.meetsTarget ? "" : ` - below the ${TARGET_RECORDS_PER_SEC.toLocaleString("en")}/s target`}`,
    );
  }

  const days: DayRun[] = [];
  for (let i = 0; i < dayRuns; i++) {
    const d = defaultDay();
    days.push(d);
    console.log(
      `default day run ${i + 1}: ${(d.processMs / 1000).toFixed(1)} s for the whole command, run wallMs ` +
        `${(d.wallMs / 1000).toFixed(1)} s; ${d.records} records, ${d.gasPerBatch} gas/batch, ${d.gasPerRecord} gas/record`,
    );
  }

  mkdirSync(join(__dirname, "results"), { recursive: true });
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg(), node: process.version },
    targetRecordsPerSec: TARGET_RECORDS_PER_SEC,
    offChain,
    defaultDay: {
      runs: days,
      processMsMedian: median(days.map((d) => d.processMs)),
      wallMsMedian: median(days.map((d) => d.wallMs)),
      gasPerRecord: days[0]?.gasPerRecord,
      gasPerBatch: days[0]?.gasPerBatch,
    },
  };
  writeFileSync(RESULTS_FILE, JSON.stringify(result, null, 2) + "\n");
  console.log(`wrote ${RESULTS_FILE}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

if (require.main === module)
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
