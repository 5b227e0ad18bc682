/**
 * The gateway core's CPU per record, in-process and without a chain (part of bench:gateway): the same signed
 * packages go through GatewayCore.submit (decode, door checks, journal with group commit), the period close
 * (check, validate, batch trees stored, records stored) and the prove stage (records marked anchored; proofs are
 * read from the stored batch trees on request, timed separately), each timed with
 * process.cpuUsage. CPU time, unlike wall time, barely moves when other work shares the cores, so before/after
 * figures of a change are comparable on a busy machine.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { join } from "node:path";
import { SigningKey } from "ethers";
import { devTerminalWallet } from "../src/chain/keys";
import { DATA_PERIOD_SECONDS } from "../src/gateway/options";
import { GATEWAY_DEFAULTS, GatewayCore } from "../src/gateway/core";
import { ProofStore, treeFilePath } from "../src/gateway/batchTrees";
import { GatewayJournal } from "../src/gateway/inbox";
import { FastMerkleTree } from "../src/merkle";
import { DoorThread } from "../src/gateway/doorThread";
import { MerkleThread } from "../src/gateway/merkleThread";
import { decodePackage, toWire } from "../src/gateway/wire";
import { loadCase } from "../src/grid/case";
import { NO_FAULTS } from "../src/pipeline/faults";
import { generatePeriod } from "../src/pipeline/generate";
import type { DirectoryEntry } from "../src/pipeline/ingest";
import { RUN_DEFAULTS, resolveRunOptions, type RunOptions } from "../src/pipeline/options";
import { generationContext, scenarioProfiles } from "../src/pipeline/run";
import { scenarioTerminals } from "../src/pipeline/scenario";
import type { ChainSetup, PipelineContext } from "../src/pipeline/stages/context";
import type { Prepared } from "../src/validation/run";
import { createValidateStage } from "../src/pipeline/stages/check";

export interface CoreCost {
  records: number;
  packages: number;
  /** CPU microseconds per record: at the door (submit to durable), at the period close, and proving. */
  usPerRecord: { submit: number; close: number; prove: number; total: number };
  /** The same on the main thread alone (the door's decoding and the batch trees run on worker threads). */
  mainThreadUsPerRecord: { submit: number; close: number };
  /** What one core would sustain at these costs. */
  recordsPerCpuSec: number;
  /** The longest the event loop was held (no acknowledgement can go out meanwhile) while closing and proving, ms. */
  longestStallMs: { close: number; prove: number };
  /** A record's proof on request (`GET /v1/records/:id`): journal row, stored tree (cached), path; CPU us each. */
  proofOnRequestUs: number;
  /** Bytes of batch trees stored per record (the proofs of every record, durable). */
  treeBytesPerRecord: number;
}

/** Starts timing the event loop's turns; the returned function stops and gives the longest gap, ms. */
function stallMeter(): () => number {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  return () => {
    clearInterval(timer);
    return Math.max(longest, performance.now() - last);
  };
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/**
 * CPU microseconds of this process's main thread alone (the event loop every acknowledgement waits for), from
 * /proc (10 ms ticks; the steps measured take seconds). process.cpuUsage counts the worker threads too.
 */
const mainCpuUs = () => {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
};

/**
 * Consecutive gateway periods of `frames` data frames each of the scenario's terminals, as wire text, signed for
 * chain id 31337: `next()` makes the next period's (so a long run holds one period's packages at a time); each
 * terminal's data time moves on frame after frame, so no record repeats.
 */
function wirePeriods(scenario: Partial<RunOptions>, prepared: Prepared, periodSeconds: number, frames: number) {
  const run = resolveRunOptions({ ...scenario, faults: { ...NO_FAULTS } });
  const loaded = loadCase({ case: run.case });
  const terminals = scenarioTerminals(loaded.name, loaded.grid, run.scenario);
  const keys = terminals.map((t) => new SigningKey(devTerminalWallet(t.terminalId).privateKey));
  const gen = generationContext(
    { ...run, periodSeconds },
    loaded,
    terminals,
    keys,
    prepared,
    { chainId: 31337n, chainStart: 0 },
    96,
  );
  gen.dataPeriodSeconds = DATA_PERIOD_SECONDS;
  const periodStart = 1_800_000_000 - (1_800_000_000 % periodSeconds);
  let k = 0;
  const next = (): string[] => {
    const wires: string[] = [];
    for (let f = k * frames; f < (k + 1) * frames; f++) {
      gen.chainStart = periodStart + k * periodSeconds - f * periodSeconds;
      for (const g of generatePeriod(gen, f)) wires.push(toWire(g.pkg));
    }
    k++;
    return wires;
  };
  return { next, periodStart, terminals, loadMean: gen.loadMean, grid: loaded.grid, dataStartMs: gen.dataStartMs };
}

interface CoreSetup {
  terminals: ReturnType<typeof scenarioTerminals>;
  loadMean: number;
  prepared: Prepared;
  grid: ReturnType<typeof loadCase>["grid"];
  dataStartMs: number;
}

/** A gateway core without a chain on a fresh journal, its Merkle thread started, its clock in `periodStart`. */
async function openCore(periodStart: number, periodSeconds: number, setup: CoreSetup) {
  const dir = mkdtempSync(join(tmpdir(), "gridledger-bench-core-"));
  mkdirSync(join(dir, "proofs"));
  const journal = new GatewayJournal(join(dir, "journal.sqlite"));
  const directory = new Map<string, DirectoryEntry>(
    setup.terminals.map((t) => [
      t.terminalId.toLowerCase(),
      { label: t.label, signer: devTerminalWallet(t.terminalId).address, active: true },
    ]),
  );
  const chain = {
    chainId: 31337n,
    contracts: { DataAcquisition: `0x${"ab".repeat(20)}` },
    mode: "live",
    chainStart: 0,
    dataTypes: { readings: 21, transactions: 22 },
  } as unknown as ChainSetup;
  const ctx = {
    journal,
    chain,
    periodSeconds,
    confirmations: 1,
    log: () => undefined,
    directory,
    labelOf: (id: string) => id,
    tips: new Map(),
    proofsDir: join(dir, "proofs"),
  } as unknown as PipelineContext & { journal: GatewayJournal };
  // The Merkle work runs on its thread as in the server; CPU figures are the process's (both threads), stalls
  // this thread's. The thread starts (and compiles) before the clock.
  const merkle = new MerkleThread({ proofsDir: ctx.proofsDir });
  await merkle.trees([{ batchKey: "warm-up", hashes: new Uint8Array(32) }]);
  // The door's decoding runs on its thread too, as in the server.
  const door = new DoorThread(chain.chainId);
  await door.ready();
  // The clock stands inside the period: nothing is due until the bench closes it.
  let nowMs = (periodStart + 1) * 1000;
  const core = new GatewayCore({
    ctx,
    stage: createValidateStage({
      model: setup.prepared.model,
      series: setup.prepared.series,
      startMs: setup.dataStartMs,
      grid: setup.grid,
      terminals: setup.terminals,
    }),
    profiles: scenarioProfiles(setup.terminals, setup.loadMean, {
      source: RUN_DEFAULTS.sourceNoise,
      meter: RUN_DEFAULTS.meterNoise,
    }),
    elect: () => ({ generatorBus: -1, terminalId: setup.terminals[0].terminalId.toLowerCase(), routing: "{}" }),
    signMs: 0.1,
    lookupTerminal: async () => undefined,
    policy: { ...GATEWAY_DEFAULTS, periodSeconds, graceSeconds: 1 },
    now: () => nowMs,
    merkle,
    door,
  });
  // No chain here: the close starts anchoring once the period's head is stored, which would fail and retry.
  (core as unknown as { kickAnchoring(): void }).kickAnchoring = () => undefined;
  return {
    core,
    journal,
    ctx,
    chain,
    setNow: (ms: number) => (nowMs = ms),
    /** The period's close alone (closeDuePeriods, anchoring aside, also reads the inbox's periods). */
    close: (period: number) => (core as unknown as { closePeriod(period: number): Promise<void> }).closePeriod(period),
    /** What anchoring does once the chain confirmed the period's batches: the batches confirmed, records marked. */
    prove: async (period: number) => {
      for (const b of journal.batches({ period }))
        journal.updateBatch(b.batchKey, "confirmed", {
          txHash: `0x${"cd".repeat(32)}`,
          blockNumber: 1,
          batchId: b.dataType,
          gasUsed: 1,
        });
      const t0 = cpuUs();
      await new Promise((resolve) => setImmediate(resolve));
      await journal.completePeriodInSlices(period, {
        sliceRecords: 4_000,
        pause: () => new Promise((r) => setImmediate(r)),
      });
      return cpuUs() - t0;
    },
    dispose: async () => {
      await merkle.close();
      await door.close();
      journal.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Submit, close and prove one period of packages in a fresh journal; returns the CPU time of each step. */
async function once(wires: readonly string[], periodStart: number, periodSeconds: number, setup: CoreSetup) {
  const gw = await openCore(periodStart, periodSeconds, setup);
  try {
    const { core, journal, ctx, chain } = gw;
    const buffers = wires.map((w) => Buffer.from(w));
    let t0 = cpuUs();
    let m0 = mainCpuUs();
    await Promise.all(buffers.map((b) => core.submit(b, "mqtt", "bench")));
    const submit = cpuUs() - t0;
    const submitMain = mainCpuUs() - m0;
    const period = Math.floor(periodStart / periodSeconds);
    gw.setNow((periodStart + periodSeconds + 2) * 1000);
    t0 = cpuUs();
    m0 = mainCpuUs();
    let stall = stallMeter();
    await gw.close(period);
    const close = cpuUs() - t0;
    const closeMain = mainCpuUs() - m0;
    const closeStallMs = stall();
    stall = stallMeter();
    const prove = await gw.prove(period);
    const proveStallMs = stall();
    const counts = journal.counts();
    if (counts.pending !== 0 || counts.total === 0)
      throw new Error(`bench core: ${JSON.stringify(counts)} after proving`);
    // Proofs on request, as the API serves them: every 50th anchored record, each checked to fold to its root.
    const store = new ProofStore(journal, ctx.proofsDir, chain);
    const batches = new Map(journal.batches({ period }).map((b) => [b.batchKey, b]));
    const sample = journal.records({ period, status: "anchored" }).filter((_, i) => i % 50 === 0);
    t0 = cpuUs();
    for (const r of sample) {
      const p = store.recordProof(r, batches.get(r.batchKey!)!);
      if (!p || !FastMerkleTree.verify(p.root, p.leafHash, p.proof))
        throw new Error(`bench core: no proof of ${r.recordId}`);
    }
    const proofUs = (cpuUs() - t0) / sample.length;
    const treeBytes = [...batches.keys()].reduce((n, k) => n + statSync(treeFilePath(ctx.proofsDir, k)).size, 0);
    return {
      submit,
      close,
      prove,
      submitMain,
      closeMain,
      closeStallMs,
      proveStallMs,
      records: counts.total,
      proofUs,
      treeBytes,
    };
  } finally {
    await gw.dispose();
  }
}

export interface CoreMemory {
  periods: number;
  recordsPerPeriod: number;
  /** The process's V8 heap in use after a full garbage collection, after each period is closed and proved (MB). */
  heapAfterGcMb: number[];
  rssMb: number[];
  /** Heap growth per record from the second period to the last (the first warms up caches and code). */
  heapGrowthBytesPerRecord: number;
}

/**
 * Memory of a long run, in-process: `periods` periods submitted, closed and proved one after another by one core
 * on one journal, the heap measured after a forced garbage collection each time. What the core keeps per record
 * (maps never freed, caches without a bound) shows as growth; what a period needs while it is processed does not.
 */
export async function coreMemory(
  scenario: Partial<RunOptions>,
  prepared: Prepared,
  opts: { periodSeconds: number; frames: number; periods: number },
): Promise<CoreMemory> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const { next, periodStart, terminals, loadMean, grid, dataStartMs } = wirePeriods(
    scenario,
    prepared,
    opts.periodSeconds,
    opts.frames,
  );
  const gw = await openCore(periodStart, opts.periodSeconds, { terminals, loadMean, prepared, grid, dataStartMs });
  const heap: number[] = [];
  const rss: number[] = [];
  let records = 0;
  try {
    for (let k = 0; k < opts.periods; k++) {
      const start = periodStart + k * opts.periodSeconds;
      gw.setNow((start + 1) * 1000);
      await Promise.all(next().map((w) => gw.core.submit(Buffer.from(w), "mqtt", "bench")));
      gw.setNow((start + opts.periodSeconds + 2) * 1000);
      await gw.close(Math.floor(start / opts.periodSeconds));
      await gw.prove(Math.floor(start / opts.periodSeconds));
      gc();
      gc();
      const m = process.memoryUsage();
      heap.push(round1(m.heapUsed / 2 ** 20));
      rss.push(round1(m.rss / 2 ** 20));
      if (k === 0) records = gw.journal.counts().total;
    }
  } finally {
    await gw.dispose();
  }
  const growth = ((heap.at(-1)! - heap[1]) * 2 ** 20) / (records * (opts.periods - 2));
  return {
    periods: opts.periods,
    recordsPerPeriod: records,
    heapAfterGcMb: heap,
    rssMb: rss,
    heapGrowthBytesPerRecord: Math.round(growth * 10) / 10,
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** The least CPU of `reps` runs per step (the run least disturbed by other work). */
export async function coreCost(
  scenario: Partial<RunOptions>,
  prepared: Prepared,
  opts: { periodSeconds: number; frames: number; reps: number },
): Promise<CoreCost> {
  const { next, periodStart, terminals, loadMean, grid, dataStartMs } = wirePeriods(
    scenario,
    prepared,
    opts.periodSeconds,
    opts.frames,
  );
  const wires = next();
  decodePackage(wires[0], 31337n, "warm-up");
  const best = {
    submit: Infinity,
    close: Infinity,
    prove: Infinity,
    submitMain: Infinity,
    closeMain: Infinity,
    closeStallMs: Infinity,
    proveStallMs: Infinity,
    records: 0,
    proofUs: Infinity,
    treeBytes: 0,
  };
  for (let i = 0; i < opts.reps; i++) {
    const r = await once(wires, periodStart, opts.periodSeconds, { terminals, loadMean, prepared, grid, dataStartMs });
    best.submit = Math.min(best.submit, r.submit);
    best.close = Math.min(best.close, r.close);
    best.prove = Math.min(best.prove, r.prove);
    best.submitMain = Math.min(best.submitMain, r.submitMain);
    best.closeMain = Math.min(best.closeMain, r.closeMain);
    best.closeStallMs = Math.min(best.closeStallMs, r.closeStallMs);
    best.proveStallMs = Math.min(best.proveStallMs, r.proveStallMs);
    best.records = r.records;
    best.proofUs = Math.min(best.proofUs, r.proofUs);
    best.treeBytes = r.treeBytes;
  }
  const per = (us: number) => Math.round((us / best.records) * 10) / 10;
  const total = best.submit + best.close + best.prove;
  return {
    records: best.records,
    packages: wires.length,
    usPerRecord: { submit: per(best.submit), close: per(best.close), prove: per(best.prove), total: per(total) },
    mainThreadUsPerRecord: { submit: per(best.submitMain), close: per(best.closeMain) },
    recordsPerCpuSec: Math.round(best.records / (total / 1e6)),
    longestStallMs: { close: Math.round(best.closeStallMs), prove: Math.round(best.proveStallMs) },
    proofOnRequestUs: Math.round(best.proofUs),
    treeBytesPerRecord: Math.round(best.treeBytes / best.records),
  };
}
