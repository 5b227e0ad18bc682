/**
 * Gateway load benchmark (issue 13). Writes bench/results/gateway.json.
 *
 * Per transport (MQTT, then HTTP): a fresh anvil and a fresh `hardhat grid:serve` process (embedded broker, dev
 * setup: the ieee39 terminals registered with dev keys). Client processes (bench/gatewayClient.ts) play the
 * scenario's producing terminals: before the clock starts they generate and sign every package of the run
 * (periodStart = the gateway period it is sent in, distinct records, no faults), then each terminal sends its
 * packages spread over each period, one in flight at a time. Offered load: `--rate` records/s, rounded up to
 * whole 15-minute data frames per gateway period. Reported per transport: records/s and packages/s acknowledged,
 * ack latency, received -> anchored lag (from the journal: each package's arrival to its period's last batch
 * confirmed, weighted by records), the gateway process's CPU and RSS (/proc), and the ratio to the in-process
 * pipeline (bench:pipeline's check + validate + tree + header) on the same composition, measured in this run.
 *
 *   npm run bench:gateway [-- --seconds 60 --rate 10000 --clients 2 --period 5 --grace 2 --scenario 2
 *                            --transports mqtt,http --profile <dir> --core-only --memory-periods 6
 *                            --transport-only --gateway-heap-mb 384 --gateway-semi-space-mb 64]
 */
import { fork, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startAnvil } from "../src/devnet/anvil";
import { percentile } from "../src/gateway/terminals";
import { loadCase } from "../src/grid/case";
import { initMerkle } from "../src/merkle";
import { resolveRunOptions } from "../src/pipeline/options";
import { scenarioTerminals } from "../src/pipeline/scenario";
import type { ClientJob, ClientResult, FromClient, ToClient } from "./gatewayClient";
import { coreCost, coreMemory } from "./gatewayCore";
import { benchValidator, THROUGHPUT_SCENARIOS, throughput } from "./pipeline";
import {
  journalFigures,
  procSample,
  round,
  settle,
  sleep,
  startGatewayProcess,
  type Gateway,
} from "./lib/gatewayProcess";

const RESULTS_FILE = join(__dirname, "results", "gateway.json");
const CHAIN_ID = 31337n;
const TARGETS = { recordsPerSec: 10_000, ackP99Ms: 250, anchorLagP99Periods: 2 };

function arg(flag: string, fallback: string): string {
  const i = process.argv.indexOf(flag);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

function numberArg(flag: string, fallback: number, min: number): number {
  const raw = arg(flag, String(fallback));
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${flag} must be a number >= ${min}, got ${raw}`);
  return n;
}

function forkClient(): ChildProcess {
  return fork(join(__dirname, "gatewayClient.ts"), [], {
    execArgv: ["-r", "ts-node/register/transpile-only"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

function next<E extends FromClient["event"]>(c: ChildProcess, event: E): Promise<Extract<FromClient, { event: E }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromClient) => {
      if (m.event !== event) return;
      c.off("message", onMessage);
      resolve(m as Extract<FromClient, { event: E }>);
    };
    c.on("message", onMessage);
    c.once("exit", (code) => reject(new Error(`bench client exited (${code}) waiting for ${event}`)));
  });
}

interface MemorySample {
  heapUsedMb: number;
  externalMb: number;
  /** The event loop's delay since the previous sample (prom-client resets its histogram on each scrape), ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

/**
 * The gateway's main-thread heap, external memory and event-loop delay from its /metrics (undefined when it does
 * not answer).
 */
async function memorySample(httpUrl: string): Promise<MemorySample | undefined> {
  try {
    const text = await (await fetch(new URL("/metrics", httpUrl))).text();
    const metric = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)`, "m").exec(text)?.[1] ?? NaN);
    return {
      heapUsedMb: round(metric("gridledger_nodejs_heap_size_used_bytes") / 2 ** 20),
      externalMb: round(metric("gridledger_nodejs_external_memory_bytes") / 2 ** 20),
      loopDelayP99Ms: round(metric("gridledger_nodejs_eventloop_lag_p99_seconds") * 1000),
      loopDelayMaxMs: round(metric("gridledger_nodejs_eventloop_lag_max_seconds") * 1000),
    };
  } catch {
    return undefined;
  }
}

interface RunOptions {
  transport: "mqtt" | "http";
  seconds: number;
  framesPerPeriod: number;
  period: number;
  grace: number;
  clients: number;
  producers: number;
  scenario: Partial<import("../src/pipeline/options").RunOptions>;
  modelCache: string;
  profileDir?: string;
  heapMb?: number;
  semiSpaceMb?: number;
}

/** One transport: anvil, gateway, clients; the figures of the run. */
async function runTransport(o: RunOptions) {
  const dataDir = mkdtempSync(join(tmpdir(), `gridledger-bench-gw-${o.transport}-`));
  if (existsSync(o.modelCache)) cpSync(o.modelCache, join(dataDir, "validator-model.json"));
  const anvil = await startAnvil({ port: await freePort() });
  let gateway: Gateway | undefined;
  const clients: ChildProcess[] = [];
  try {
    gateway = await startGatewayProcess(anvil, { ...o, dataDir });
    if (!existsSync(o.modelCache)) cpSync(join(dataDir, "validator-model.json"), o.modelCache);
    const pid = gateway.process.pid!;
    const periods = Math.max(1, Math.round(o.seconds / o.period));
    const url = o.transport === "mqtt" ? gateway.mqtt : gateway.http;
    for (let c = 0; c < o.clients; c++) {
      const job: ClientJob = {
        transport: o.transport,
        url,
        scenario: o.scenario,
        chainId: CHAIN_ID.toString(),
        terminals: Array.from({ length: o.producers }, (_, i) => i).filter((i) => i % o.clients === c),
        producers: o.producers,
        periodSeconds: o.period,
        framesPerPeriod: o.framesPerPeriod,
        periods,
        lateSeconds: Math.max(0, o.grace - 0.5),
      };
      const child = forkClient();
      clients.push(child);
      child.send({ cmd: "plan", job } satisfies ToClient);
    }
    const planned = await Promise.all(clients.map((c) => next(c, "planned")));
    // Signing runs on both cores at once; leave it twice the measured time, then start on a period boundary.
    const signMs = Math.max(...planned.map((p) => p.framesToSign * p.msPerFrame)) * 2 * Math.ceil(o.clients / 2);
    const startAt = Math.ceil((Date.now() + signMs + 3_000) / 1000 / o.period) * o.period;
    for (const c of clients) c.send({ cmd: "sign", startAt } satisfies ToClient);
    const signed = await Promise.all(clients.map((c) => next(c, "signed")));
    if (Date.now() > startAt * 1000)
      throw new Error(`signing took ${Math.max(...signed.map((s) => s.ms)).toFixed(0)} ms, past the start`);
    const done = clients.map((c) => next(c, "done"));
    for (const c of clients) c.send({ cmd: "go" } satisfies ToClient);

    await sleep(startAt * 1000 - Date.now());
    const load = { start: loadavg().map((x) => round(x, 2)), end: [] as number[] };
    const start = procSample(pid);
    const rss: number[] = [start.rssMb];
    const sampler = setInterval(() => rss.push(procSample(pid).rssMb), 1000);
    const memory: MemorySample[] = [];
    const memorySampler = setInterval(() => void memorySample(gateway!.http).then((s) => s && memory.push(s)), 5000);
    const results = (await Promise.all(done)).map((d) => d.result);
    clearInterval(sampler);
    clearInterval(memorySampler);
    const end = procSample(pid);
    const endMs = Date.now();
    load.end = loadavg().map((x) => round(x, 2));
    const settled = await settle(gateway.http, (3 * o.period + 60) * 1000);
    const journal = journalFigures(dataDir, o.period);
    const afterSettle = procSample(pid);
    const settleCpuSec = afterSettle.cpuSec - start.cpuSec;
    await gateway.stop();
    return summarise(o, results, {
      startAt,
      endMs,
      cpuSec: end.cpuSec - start.cpuSec,
      rss,
      rssEnd: end.rssMb,
      rssAfterSettle: afterSettle.rssMb,
      memory,
      settleCpuSec,
      load,
      settled,
      journal,
      signed,
    });
  } finally {
    for (const c of clients) if (c.exitCode === null) c.kill();
    await gateway?.stop();
    await anvil.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function summarise(
  o: RunOptions,
  results: ClientResult[],
  m: {
    startAt: number;
    endMs: number;
    cpuSec: number;
    rss: number[];
    rssEnd: number;
    rssAfterSettle: number;
    memory: MemorySample[];
    settleCpuSec: number;
    load: { start: number[]; end: number[] };
    settled: boolean;
    journal: ReturnType<typeof journalFigures>;
    signed: { ms: number; records: number; packages: number }[];
  },
) {
  const sum = (f: (r: ClientResult) => number) => results.reduce((n, r) => n + f(r), 0);
  const ack = results.flatMap((r) => r.ackMs).sort((a, b) => a - b);
  const behind = results.flatMap((r) => r.behindMs).sort((a, b) => a - b);
  const rejected: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.rejected)) rejected[k] = (rejected[k] ?? 0) + v;
  const rejectedPackages = Object.values(rejected).reduce((a, b) => a + b, 0);
  // Over MQTT a refused package is PUBACKed too (its refusal comes on the rejections topic); none is expected.
  const accepted =
    (m.journal.records.anchored ?? 0) + (m.journal.records.quarantined ?? 0) + (m.journal.records.pending ?? 0);
  const seconds = (Math.max(...results.map((r) => r.lastAckMs)) - m.startAt * 1000) / 1000;
  const wall = (m.endMs - m.startAt * 1000) / 1000;
  const ackedPackages = sum((r) => r.ackedPackages) - (o.transport === "mqtt" ? rejectedPackages : 0);
  return {
    recordsPerSec: Math.round(accepted / seconds),
    packagesPerSec: round(ackedPackages / seconds),
    ackMs: { p50: round(percentile(ack, 0.5)), p99: round(percentile(ack, 0.99)), max: round(ack.at(-1) ?? 0) },
    anchorLagPeriods: m.journal.lag,
    rssMb: {
      start: round(m.rss[0]),
      end: round(m.rssEnd),
      max: round(Math.max(...m.rss)),
      afterSettle: round(m.rssAfterSettle),
      everyFiveSeconds: m.rss.filter((_, i) => i % 5 === 0).map((x) => round(x)),
      // The main thread's V8 heap and off-heap buffers (prom-client's default metrics), every 5 s: RSS minus
      // these is the Merkle thread's heap and native memory (SQLite, the allocator).
      mainHeapUsedEveryFiveSeconds: m.memory.map((x) => x.heapUsedMb),
      mainExternalEveryFiveSeconds: m.memory.map((x) => x.externalMb),
    },
    // How long the event loop was held, per 5 s window: acknowledgements wait behind it.
    eventLoopDelayMs: {
      p99EveryFiveSeconds: m.memory.map((x) => x.loopDelayP99Ms),
      maxEveryFiveSeconds: m.memory.map((x) => x.loopDelayMaxMs),
    },
    cpu: {
      seconds: round(m.cpuSec),
      percentOfOneCore: round((100 * m.cpuSec) / wall),
      secondsUntilSettled: round(m.settleCpuSec),
    },
    // Gateway CPU from the start until every record is anchored or quarantined: its cost per record.
    recordsPerCpuSec: Math.round(accepted / m.settleCpuSec),
    seconds: round(seconds),
    offered: {
      recordsPerSec: Math.round(sum((r) => r.records + r.skippedRecords) / (results[0] ? wall : 1)),
      records: sum((r) => r.records + r.skippedRecords),
      packages: sum((r) => r.packages + r.skippedPackages),
      skippedPackages: sum((r) => r.skippedPackages),
      behindScheduleMs: { p50: round(percentile(behind, 0.5)), p99: round(percentile(behind, 0.99)) },
    },
    acknowledged: { packages: ackedPackages, records: sum((r) => r.ackedRecords) },
    rejected,
    errors: results.flatMap((r) => r.errors).slice(0, 5),
    journal: {
      settled: m.settled,
      records: m.journal.records,
      quarantineReasons: m.journal.quarantineReasons,
      confirmedBatches: m.journal.batches,
      unanchoredPackages: m.journal.unanchoredPackages,
    },
    loadavg: m.load,
    signing: { ms: Math.round(Math.max(...m.signed.map((s) => s.ms))) },
  };
}

async function main() {
  const seconds = numberArg("--seconds", 60, 5);
  const rate = numberArg("--rate", TARGETS.recordsPerSec, 1);
  const clients = numberArg("--clients", 2, 1);
  const period = numberArg("--period", 5, 2);
  const grace = numberArg("--grace", 2, 1);
  const scenarioNo = numberArg("--scenario", 2, 1);
  const transports = arg("--transports", "mqtt,http").split(",") as ("mqtt" | "http")[];
  const profileDir = process.argv.includes("--profile") ? arg("--profile", "") : undefined;
  // Caps the gateway's V8 old space: a run that stays within it shows the heap's growth was garbage not yet
  // collected, not data held per record.
  const heapMb = process.argv.includes("--gateway-heap-mb") ? numberArg("--gateway-heap-mb", 0, 64) : undefined;
  // A larger young generation lets the close's short-lived objects die there instead of growing the old space.
  const semiSpaceMb = process.argv.includes("--gateway-semi-space-mb")
    ? numberArg("--gateway-semi-space-mb", 0, 1)
    : undefined;
  const transportOnly = process.argv.includes("--transport-only");
  if (scenarioNo > THROUGHPUT_SCENARIOS.length || !Number.isInteger(scenarioNo))
    throw new Error(`--scenario must be 1..${THROUGHPUT_SCENARIOS.length}`);
  if (transports.some((t) => t !== "mqtt" && t !== "http")) throw new Error("--transports lists mqtt and/or http");
  const [name, scenario] = THROUGHPUT_SCENARIOS[scenarioNo - 1];
  if ((scenario.case ?? "ieee39") !== "ieee39")
    throw new Error(`--scenario ${scenarioNo}: the gateway registers the ieee39 terminals; pick an IEEE 39 scenario`);

  await initMerkle();
  const run = resolveRunOptions({ ...scenario, out: tmpdir() });
  const loaded = loadCase({ case: run.case });
  const producing = scenarioTerminals(loaded.name, loaded.grid, run.scenario).filter((t) => t.samplesPerPeriod > 0);
  const recordsPerFrame = producing.reduce((n, t) => n + t.samplesPerPeriod + (t.role === "meter" ? 1 : 0), 0);
  const framesPerPeriod = Math.max(1, Math.ceil((rate * period) / recordsPerFrame));

  const modelCache = join(mkdtempSync(join(tmpdir(), "gridledger-bench-gw-model-")), "validator-model.json");
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const load = (transport: "mqtt" | "http") =>
    runTransport({
      transport,
      seconds,
      framesPerPeriod,
      period,
      grace,
      clients,
      producers: producing.length,
      scenario,
      modelCache,
      profileDir,
      heapMb,
      semiSpaceMb,
    });
  if (transportOnly) {
    // Iterating on the load runs only: no core figures, no in-process ratio, nothing written.
    for (const transport of transports) console.log(JSON.stringify({ transport, ...(await load(transport)) }));
    return;
  }
  // The in-process pipeline on the same composition, first, on a quiet machine.
  const prepared = await benchValidator();
  // Where the gateway core's CPU goes per record, on one period of the offered load.
  const core = await coreCost(scenario, prepared, {
    periodSeconds: period,
    frames: framesPerPeriod,
    reps: Number(process.env.REPS ?? 3),
  });
  console.log(
    `gateway core, CPU per record: ${JSON.stringify(core.usPerRecord)} us (main thread ${JSON.stringify(core.mainThreadUsPerRecord)}); ${core.recordsPerCpuSec.toLocaleString("en")} records per CPU second; ` +
      `longest event-loop stall ${JSON.stringify(core.longestStallMs)} ms; a proof on request ${core.proofOnRequestUs} us, ` +
      `trees ${core.treeBytesPerRecord} bytes per record`,
  );
  // What the core keeps per record over a run of periods (RSS flat needs this near zero).
  const memory = await coreMemory(scenario, prepared, {
    periodSeconds: period,
    frames: framesPerPeriod,
    periods: numberArg("--memory-periods", 6, 3),
  });
  console.log(
    `gateway core memory over ${memory.periods} periods: heap after GC ${memory.heapAfterGcMb.join(", ")} MB ` +
      `(${memory.heapGrowthBytesPerRecord} bytes per record), RSS ${memory.rssMb.join(", ")} MB`,
  );
  if (process.argv.includes("--core-only")) return;
  const inProcess = await throughput(name, scenario, 16, prepared);
  console.log(
    `in-process (${name}): ${Math.round(inProcess.gatewayRecordsPerSec).toLocaleString("en")} records/s for the gateway's share`,
  );

  const out: Record<string, unknown> = {};
  for (const transport of transports) {
    console.log(
      `${transport}: ${producing.length} terminals, ${framesPerPeriod} frames (${framesPerPeriod * recordsPerFrame} records) ` +
        `per ${period} s period, ${seconds} s...`,
    );
    const r = await load(transport);
    out[transport] = { ...r, ratioToInProcess: round(r.recordsPerSec / inProcess.gatewayRecordsPerSec, 3) };
    console.log(
      `${transport}: ${r.recordsPerSec.toLocaleString("en")} records/s, ${r.packagesPerSec} packages/s, ack p50 ${r.ackMs.p50} ms ` +
        `p99 ${r.ackMs.p99} ms, anchor lag p50 ${r.anchorLagPeriods.p50} p99 ${r.anchorLagPeriods.p99} periods, ` +
        `CPU ${r.cpu.percentOfOneCore}% of a core, RSS ${r.rssMb.start} -> ${r.rssMb.end} MB`,
    );
  }

  mkdirSync(join(__dirname, "results"), { recursive: true });
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg(), node: process.version },
    setup: {
      scenario: name,
      terminals: producing.length,
      recordsPerFrame,
      framesPerPeriod,
      periodSeconds: period,
      graceSeconds: grace,
      clients,
      offeredRecordsPerSec: Math.round((framesPerPeriod * recordsPerFrame) / period),
      gatewayV8: { maxOldSpaceMb: heapMb ?? null, maxSemiSpaceMb: semiSpaceMb ?? null },
    },
    targets: TARGETS,
    ...out,
    inProcessRecordsPerSec: Math.round(inProcess.gatewayRecordsPerSec),
    gatewayCore: core,
    gatewayCoreMemory: memory,
    inProcess: {
      recordsPerSec: Math.round(inProcess.recordsPerSec),
      gatewayRecordsPerSec: Math.round(inProcess.gatewayRecordsPerSec),
      records: inProcess.records,
      packages: inProcess.packages,
    },
  };
  writeFileSync(RESULTS_FILE, JSON.stringify(result, null, 2) + "\n");
  console.log(`wrote ${RESULTS_FILE}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
