/**
 * Merkle builder benchmark: FastMerkleTree vs @openzeppelin/merkle-tree StandardMerkleTree on record
 * leaves, plus record hashing (canonical JSON + keccak) throughput. Writes bench/results/merkle.json.
 *
 *   npm run bench:merkle [-- --sizes 10000,100000,1000000 --oz-max 100000 --records 100000]
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { createRng, type Rng } from "../src/common/rng";
import {
  FastMerkleTree,
  initMerkle,
  LEAF_TYPES,
  RecordKind,
  recordLeafHash,
  type GridRecord,
  type Hex,
  type RecordLeaf,
} from "../src/merkle";

interface BenchOptions {
  sizes: number[];
  /** Largest size OZ is run at (it builds ~2k leaves/s, so 1M takes minutes). */
  ozMax: number;
  records: number;
  seed: number;
}
const DEFAULT_SIZES = [10_000, 100_000, 1_000_000];
const DEFAULT_OZ_MAX = 100_000;
const DEFAULT_RECORDS = 100_000;
const DEFAULT_SEED = 5;
/** Timed repetitions of the fast builder (median reported): more for small sizes, where one pause skews a run. */
const fastRuns = (n: number): number => (n <= 10_000 ? 9 : n <= 100_000 ? 5 : 3);
/** Repetitions of the record-hashing measurements. */
const RECORD_RUNS = 3;
const RESULTS_FILE = join(__dirname, "results", "merkle.json");

interface Timing {
  wallMs: number;
  /** CPU time of this process: the figure for "one core" when other work shares the machine. */
  cpuMs: number;
}

interface SizeResult {
  leaves: number;
  fastLeavesPerSec: number;
  fastLeavesPerCpuSec: number;
  fastMs: number;
  ozLeavesPerSec: number | null;
  ozLeavesPerCpuSec: number | null;
  ozMs: number | null;
  /** OZ time / fast time, wall clock. */
  speedup: number | null;
  /** OZ CPU time / fast CPU time: steadier than wall clock when other processes share the cores. */
  speedupCpu: number | null;
  rootsEqual: boolean | null;
}

function parseArgs(argv: string[]): BenchOptions {
  const opts: BenchOptions = {
    sizes: DEFAULT_SIZES,
    ozMax: DEFAULT_OZ_MAX,
    records: DEFAULT_RECORDS,
    seed: DEFAULT_SEED,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const ints = (value ?? "").split(",").map(Number);
    if (value === undefined || ints.some((n) => !Number.isSafeInteger(n) || n < 0)) {
      throw new Error(`bench:merkle: ${flag} needs a non-negative integer value, got ${String(value)}`);
    }
    if (flag === "--sizes") opts.sizes = ints;
    else if (flag === "--oz-max") opts.ozMax = ints[0];
    else if (flag === "--records") opts.records = ints[0];
    else if (flag === "--seed") opts.seed = ints[0];
    else throw new Error(`bench:merkle: unknown option ${flag} (use --sizes, --oz-max, --records, --seed)`);
  }
  return opts;
}

function randomHex(rng: Rng, bytes: number): Hex {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = rng.int(0, 255);
  return `0x${b.toString("hex")}`;
}

/** Record leaves as the pipeline makes them: a few hundred terminals, 15-minute timestamps. */
function makeLeaves(rng: Rng, n: number): RecordLeaf[] {
  const terminals = Array.from({ length: 300 }, () => randomHex(rng, 32));
  return Array.from({ length: n }, (_, i) => [
    terminals[rng.int(0, terminals.length - 1)],
    rng.int(0, 3) as RecordKind,
    1_700_000_000 + 900 * Math.floor(i / terminals.length),
    randomHex(rng, 32),
  ]);
}

/** 80% meter readings, 20% power transactions, with payloads shaped like the pipeline's. */
function makeRecords(rng: Rng, n: number): GridRecord[] {
  const terminals = Array.from({ length: 300 }, () => randomHex(rng, 32));
  return Array.from({ length: n }, (_, i): GridRecord => {
    const terminalId = terminals[i % terminals.length];
    const timestamp = 1_700_000_000 + 900 * Math.floor(i / terminals.length);
    if (rng.next() < 0.8) {
      return {
        terminalId,
        kind: RecordKind.Reading,
        timestamp,
        payload: {
          bus: rng.int(1, 39),
          period: Math.floor(i / terminals.length) % 96,
          p_mw: Math.round(rng.next() * 1e6) / 1e3,
          q_mvar: Math.round(rng.next() * 1e5) / 1e3,
          v_pu: Math.round((0.95 + 0.1 * rng.next()) * 1e4) / 1e4,
          temperature_c: Math.round((rng.next() * 40 - 5) * 10) / 10,
          source: "gefcom2012",
          flags: [],
        },
      };
    }
    return {
      terminalId,
      kind: RecordKind.PowerTransaction,
      timestamp,
      payload: {
        seller: terminals[rng.int(0, terminals.length - 1)],
        buyer: terminals[rng.int(0, terminals.length - 1)],
        kwh: Math.round(rng.next() * 5e5) / 1e3,
        price_eur_mwh: Math.round(rng.next() * 2e5) / 1e3,
        frame: { start: timestamp, end: timestamp + 900 },
      },
    };
  });
}

function measure(fn: () => void): Timing {
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  fn();
  const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1e3 };
}

/** The run with the median wall time. */
function medianRun(runs: number, fn: () => void): Timing {
  const timings = Array.from({ length: runs }, () => measure(fn)).sort((a, b) => a.wallMs - b.wallMs);
  return timings[Math.floor(timings.length / 2)];
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
const perSec = (count: number, ms: number): number => Math.round(count / (ms / 1000));
const fmt = (n: number | null): string => (n === null ? "-" : n.toLocaleString("en-US"));

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const loadAtStart = loadavg();
  await initMerkle();
  const rng = createRng(opts.seed);

  // Warm both builders up so the first size is not charged for JIT compilation.
  const warm = makeLeaves(rng.fork("warm"), 20_000);
  for (let i = 0; i < 5; i++) FastMerkleTree.of(warm, LEAF_TYPES);
  StandardMerkleTree.of(warm.slice(0, 200), [...LEAF_TYPES]);

  const sizes: SizeResult[] = [];
  for (const n of opts.sizes) {
    const leaves = makeLeaves(rng.fork(`leaves-${n}`), n);
    let fast: FastMerkleTree<RecordLeaf> | undefined;
    const fastT = medianRun(fastRuns(n), () => (fast = FastMerkleTree.of(leaves, LEAF_TYPES)));
    let ozT: Timing | null = null;
    let rootsEqual: boolean | null = null;
    if (n <= opts.ozMax) {
      let oz: StandardMerkleTree<RecordLeaf> | undefined;
      ozT = measure(() => (oz = StandardMerkleTree.of(leaves, [...LEAF_TYPES])));
      rootsEqual = oz?.root === fast?.root;
      if (!rootsEqual) throw new Error(`bench:merkle: roots differ at ${n} leaves: OZ ${oz?.root}, fast ${fast?.root}`);
    }
    const r: SizeResult = {
      leaves: n,
      fastLeavesPerSec: perSec(n, fastT.wallMs),
      fastLeavesPerCpuSec: perSec(n, fastT.cpuMs),
      fastMs: Math.round(fastT.wallMs),
      ozLeavesPerSec: ozT === null ? null : perSec(n, ozT.wallMs),
      ozLeavesPerCpuSec: ozT === null ? null : perSec(n, ozT.cpuMs),
      ozMs: ozT === null ? null : Math.round(ozT.wallMs),
      speedup: ozT === null ? null : Math.round((ozT.wallMs / fastT.wallMs) * 10) / 10,
      speedupCpu: ozT === null ? null : Math.round((ozT.cpuMs / fastT.cpuMs) * 10) / 10,
      rootsEqual,
    };
    sizes.push(r);
    console.log(`  ${n} leaves: fast ${fmt(r.fastLeavesPerSec)}/s, OZ ${fmt(r.ozLeavesPerSec)}/s`);
  }

  // Proofs for every leaf, as the pipeline writes them (hex at the API edge).
  const proofLeaves = makeLeaves(rng.fork("proofs"), 100_000);
  const proofTree = FastMerkleTree.of(proofLeaves, LEAF_TYPES);
  const proofT = measure(() => {
    for (let i = 0; i < proofLeaves.length; i++) proofTree.getProof(i);
  });

  const records = makeRecords(rng.fork("records"), opts.records);
  const hashT = medianRun(RECORD_RUNS, () => {
    for (const rec of records) recordLeafHash(rec);
  });
  const treeT = medianRun(RECORD_RUNS, () => FastMerkleTree.ofRecords(records));

  const result = {
    date: new Date().toISOString(),
    machine: { node: process.version, cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length },
    note: "one thread; leaves/s includes leaf ABI encoding and hashing, like StandardMerkleTree.of(values, types)",
    leafEncoding: [...LEAF_TYPES],
    sizes,
    /** 1/5/15-minute load averages: above the core count, other processes competed for the CPU. */
    loadAverage: { start: loadAtStart.map(round2), end: loadavg().map(round2) },
    proofsPerSec: perSec(proofLeaves.length, proofT.wallMs),
    records: {
      count: records.length,
      recordLeafHashPerSec: perSec(records.length, hashT.wallMs),
      recordLeafHashPerCpuSec: perSec(records.length, hashT.cpuMs),
      treeFromRecordsPerSec: perSec(records.length, treeT.wallMs),
      treeFromRecordsPerCpuSec: perSec(records.length, treeT.cpuMs),
      sample: records[0],
    },
  };
  mkdirSync(join(__dirname, "results"), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(result, null, 2)}\n`);

  const { start, end } = result.loadAverage;
  console.log(`\nload average: ${start.join(" ")} at start, ${end.join(" ")} at end (${result.machine.cores} cores)`);
  console.log(
    "| leaves | fast leaves/s (wall) | fast leaves/CPU-s | OZ leaves/s (wall) | OZ leaves/CPU-s | speedup wall | speedup CPU | roots equal |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|:---:|");
  for (const s of sizes) {
    const eq = s.rootsEqual === null ? "-" : s.rootsEqual ? "yes" : "NO";
    const x = (v: number | null): string => (v === null ? "-" : `${v}x`);
    console.log(
      `| ${fmt(s.leaves)} | ${fmt(s.fastLeavesPerSec)} | ${fmt(s.fastLeavesPerCpuSec)} | ${fmt(s.ozLeavesPerSec)} | ${fmt(s.ozLeavesPerCpuSec)} | ${x(s.speedup)} | ${x(s.speedupCpu)} | ${eq} |`,
    );
  }
  const rec = result.records;
  console.log(`\nproofs (getProof, 100,000-leaf tree): ${fmt(result.proofsPerSec)}/s`);
  console.log(
    `records -> recordLeafHash (canonical JSON + keccak): ${fmt(rec.recordLeafHashPerSec)}/s (${fmt(rec.recordLeafHashPerCpuSec)}/CPU-s)`,
  );
  console.log(
    `records -> FastMerkleTree.ofRecords: ${fmt(rec.treeFromRecordsPerSec)}/s (${fmt(rec.treeFromRecordsPerCpuSec)}/CPU-s)`,
  );
  console.log(`wrote ${RESULTS_FILE}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
