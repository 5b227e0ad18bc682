/**
 * Routing benchmark (issue 3): LB_net reductions of QT-DR (and QT-DR+LS) against QoS-R and RA-DBMM on
 * IEEE 14-118, deadline violations, runtime of every algorithm against bus count on all eight cases,
 * and peak memory. Each (case, scenario) runs in its own child process so peak RSS belongs to it.
 * Writes bench/results/routing.json.
 *
 *   npm run bench:routing [-- --cases 14,39,118 --runs 5]
 */
import { fork } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { AlgorithmName } from "../src/routing/algorithms";
import type { NetworkOptions } from "../src/grid/network";
import type { RoutingOptions } from "../src/routing/options";

const ALL_CASES = ["14", "30", "39", "57", "118", "2383wp", "9241pegase", "ACTIVSg10k"];
const SMALL_CASES = new Set(["ieee14", "ieee30", "ieee39", "ieee57", "ieee118"]);
const SMALL_ALGORITHMS: AlgorithmName[] = ["QT-DR", "QoS-R", "RA-DBMM", "SP", "QT-DR+LS"];
/** QT-DR first, so the RSS after it is its own peak; QT-DR+LS is left out of the large cases (minutes). */
const LARGE_ALGORITHMS: AlgorithmName[] = ["QT-DR", "QoS-R", "RA-DBMM", "SP"];
/** Timed repetitions on the small cases (median reported) after one warm-up call. */
const DEFAULT_RUNS = 5;
const RESULTS_FILE = join(__dirname, "results", "routing.json");
/** The paper's IEEE 118 claims (ALGORITHMS.md section 8): the bar for every case 14-118. */
const CLAIM = { vsQosR: 0.3943, vsRaDbmm: 0.2973 };
const TARGETS = {
  ieee118AllFourMs: 1000,
  activsg10kQtdrMs: 30_000,
  pegase9241QtdrMs: 60_000,
  ieee118OptimiserMs: 30_000,
};
/** Issue 15's target: the optimiser within 5% of the best known single-path LB_net on every case 14-118. */
const OPTIMISER: AlgorithmName = "QT-DR+LS";
const OPTIMISER_TOLERANCE = 0.05;
/**
 * Best single-path LB_net found outside this benchmark (issue 15: an independent search with
 * deadlines enforced, paths up to 16 hops). The routings themselves were not shipped, so they enter
 * as numbers; `bestKnown` is the smaller of this and every violation-free algorithm measured here.
 */
const EXTERNAL_BEST_KNOWN: Record<string, number> = { ieee57: 27.6, ieee118: 35.8 };

/**
 * Scenarios. `default` is the model as documented. On the large cases it is infeasible (1 Gbit/s links
 * cannot carry ~1,400 sources x ~9 MB/s into one generator, and most sources are over 16 hops away),
 * so QT-DR mostly falls back; `stress` lifts bandwidth and hop bound so every demand runs the full
 * Yen search, which is the algorithm's real cost.
 */
const SCENARIOS: Record<string, { network: Partial<NetworkOptions>; routing: Partial<RoutingOptions> }> = {
  default: { network: {}, routing: {} },
  stress: { network: { bandwidthBps: 1e11 }, routing: { hopBound: 64 } },
};

interface AlgorithmFigures {
  wallMs: number;
  /** Same as wallMs (issue 15's key). */
  runtimeMs: number;
  /** `lbNet / bound - 1` (small cases). */
  gapToBound: number | null;
  /** `lbNet / bestKnown - 1` (small cases). */
  gapToBestKnown: number | null;
  cpuMs: number;
  /** First (cold, JIT-compiling) call, small cases only. */
  coldMs: number | null;
  generator: number;
  blockTimeMs: number | null;
  lbNet: number;
  lbUsed: number;
  maxUtil: number;
  deadlineViolations: number;
  hopViolations: number;
  overloadedLinks: number;
  unreachable: number;
}

interface CaseFigures {
  case: string;
  scenario: string;
  buses: number;
  links: number;
  sources: number;
  loadMs: number;
  electionMs: number;
  algorithms: Partial<Record<AlgorithmName, AlgorithmFigures>>;
  /** Proven lower bounds (small cases; `src/routing/bounds.ts`). */
  bound: { lbNet: number; lbNetGenerator: number; gap: number; maxUtil: number; runtimeMs: number } | null;
  /** Smallest single-path LB_net known: every violation-free algorithm here and EXTERNAL_BEST_KNOWN. */
  bestKnown: { lbNet: number; by: string } | null;
  /** Zones (large cases, default scenario): `--zones auto` and the BFS baseline with the same k. */
  zones: {
    k: number;
    deadlineViolations: number;
    runtimeMs: number;
    cpuMs: number;
    maxBlockTimeMs: number;
    lbNet: number;
    tried: { k: number; deadlineViolations: number }[];
    baseline: { deadlineViolations: number; maxBlockTimeMs: number; lbNet: number };
  } | null;
  /** Wall time of one routePeriod call running QT-DR, QoS-R, RA-DBMM and SP together. */
  allFourWallMs: number | null;
  /**
   * RA-DBMM with every threshold tried from the widest down instead of bisection (small cases): whether any
   * demand's path changes (bisection assumes a monotonicity the allocated delay does not strictly obey).
   */
  raDbmmExhaustive: { lbNet: number; deadlineViolations: number; samePaths: boolean; runtimeMs: number } | null;
  /** Wall and CPU time of the whole child job, and the load average (1 min) when it ended. */
  job: { wallMs: number; cpuMs: number; loadavg1: number };
  /** Peak RSS of the child before loading the case (Node + ts-node + modules). */
  rssBaselineMB: number;
  rssAfterQtdrMB: number;
  rssPeakMB: number;
}

interface Job {
  caseRef: string;
  scenario: string;
  runs: number;
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const rssMB = (): number => process.resourceUsage().maxRSS / 1024;
const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(start);
  return (c.user + c.system) / 1000;
};

/** Child side: one case, one scenario. */
async function runJob(job: Job): Promise<CaseFigures> {
  const jobStart = performance.now();
  const jobCpu = process.cpuUsage();
  // Loaded here so the parent process stays small.
  const { loadNetwork, routePeriod } = require("../src/routing/api") as typeof import("../src/routing/api");
  const { defaultSources } = require("../src/grid/sources") as typeof import("../src/grid/sources");
  const scenario = SCENARIOS[job.scenario];
  const rssBaselineMB = rssMB();
  const t0 = performance.now();
  const net = loadNetwork({ case: job.caseRef }, scenario.network);
  const loadMs = performance.now() - t0;
  const sources = defaultSources(net.caseName, net.grid);
  const small = SMALL_CASES.has(net.caseName);
  const algorithms = small ? SMALL_ALGORITHMS : LARGE_ALGORITHMS;
  const figures: Partial<Record<AlgorithmName, AlgorithmFigures>> = {};
  // Small cases: the first call is timed as "cold"; a second one finishes JIT warm-up before the timed runs.
  // The optimiser takes seconds and is deterministic: it runs once, outside the warm-up.
  const fast = algorithms.filter((a) => a !== OPTIMISER);
  const cold = small ? routePeriod(net, sources, scenario.routing, fast) : undefined;
  if (small) routePeriod(net, sources, scenario.routing, fast);
  let electionMs = 0;
  let rssAfterQtdrMB = 0;
  for (const name of algorithms) {
    const wall: number[] = [];
    const cpu: number[] = [];
    const coldMs = cold?.algorithms[name]?.runtimeMs ?? null;
    let last;
    for (let run = 0; run < (small && name !== OPTIMISER ? job.runs : 1); run++) {
      const c0 = process.cpuUsage();
      const report = routePeriod(net, sources, scenario.routing, [name]);
      const c = process.cpuUsage(c0);
      const a = report.algorithms[name]!;
      wall.push(a.runtimeMs);
      cpu.push((c.user + c.system) / 1000);
      electionMs = report.electionMs || electionMs;
      last = a;
    }
    const a = last!;
    figures[name] = {
      wallMs: median(wall),
      runtimeMs: median(wall),
      gapToBound: null,
      gapToBestKnown: null,
      cpuMs: median(cpu),
      coldMs,
      generator: a.generator,
      blockTimeMs: Number.isFinite(a.blockTimeMs) ? a.blockTimeMs : null,
      lbNet: a.lbNet,
      lbUsed: a.lbUsed,
      maxUtil: a.maxUtil,
      deadlineViolations: a.deadlineViolations,
      hopViolations: a.hopViolations,
      overloadedLinks: a.overloadedLinks,
      unreachable: a.unreachable.length,
    };
    if (name === "QT-DR") rssAfterQtdrMB = rssMB();
  }
  let allFourWallMs: number | null = null;
  if (small) {
    const times: number[] = [];
    for (let run = 0; run < job.runs; run++) {
      const start = performance.now();
      routePeriod(net, sources, scenario.routing, ["QT-DR", "QoS-R", "RA-DBMM", "SP"]);
      times.push(performance.now() - start);
    }
    allFourWallMs = median(times);
  }
  let bound: CaseFigures["bound"] = null;
  let bestKnown: CaseFigures["bestKnown"] = null;
  if (small) {
    const { computeBounds } = require("../src/routing/bounds") as typeof import("../src/routing/bounds");
    const { RoutingContext } = require("../src/routing/context") as typeof import("../src/routing/context");
    const { buildDemands } = require("../src/routing/demands") as typeof import("../src/routing/demands");
    const { resolveRoutingOptions } = require("../src/routing/options") as typeof import("../src/routing/options");
    const opts = resolveRoutingOptions(scenario.routing);
    const b = await computeBounds(new RoutingContext(net, opts, buildDemands(net, sources, opts)));
    bound = {
      lbNet: b.lbNet,
      lbNetGenerator: b.lbNetGenerator,
      gap: b.gap,
      maxUtil: b.maxUtil,
      runtimeMs: b.runtimeMs,
    };
    const external = EXTERNAL_BEST_KNOWN[net.caseName];
    bestKnown = external !== undefined ? { lbNet: external, by: "issue 15 outside search" } : null;
    for (const [name, f] of Object.entries(figures)) {
      if (f!.deadlineViolations > 0 || f!.hopViolations > 0 || f!.unreachable > 0) continue;
      if (!bestKnown || f!.lbNet < bestKnown.lbNet) bestKnown = { lbNet: f!.lbNet, by: name };
    }
    for (const f of Object.values(figures)) {
      f!.gapToBound = f!.lbNet / b.lbNet - 1;
      f!.gapToBestKnown = bestKnown ? f!.lbNet / bestKnown.lbNet - 1 : null;
    }
  }
  let raDbmmExhaustive: CaseFigures["raDbmmExhaustive"] = null;
  if (small) {
    const { radbmm } = require("../src/routing/algorithms/radbmm") as typeof import("../src/routing/algorithms/radbmm");
    const { RoutingContext } = require("../src/routing/context") as typeof import("../src/routing/context");
    const { buildDemands } = require("../src/routing/demands") as typeof import("../src/routing/demands");
    const { resolveRoutingOptions } = require("../src/routing/options") as typeof import("../src/routing/options");
    const opts = resolveRoutingOptions(scenario.routing);
    const run = (search: "bisection" | "exhaustive") =>
      radbmm(new RoutingContext(net, opts, buildDemands(net, sources, opts)), search);
    const bisection = run("bisection");
    const start = performance.now();
    const exhaustive = run("exhaustive");
    const runtimeMs = performance.now() - start;
    raDbmmExhaustive = {
      lbNet: exhaustive.lbNet,
      deadlineViolations: exhaustive.deadlineViolations,
      samePaths: exhaustive.routes.every((r, i) => r.path.join() === bisection.routes[i].path.join()),
      runtimeMs,
    };
  }
  let zones: CaseFigures["zones"] = null;
  if (!small && job.scenario === "default") {
    const { routeZones } = require("../src/routing/zones") as typeof import("../src/routing/zones");
    const c0 = process.cpuUsage();
    const z = routeZones(net, sources, "auto", scenario.routing);
    const c = process.cpuUsage(c0);
    const b = routeZones(net, sources, z.k, scenario.routing, "bfs");
    zones = {
      k: z.k,
      deadlineViolations: z.deadlineViolations,
      runtimeMs: z.runtimeMs,
      cpuMs: (c.user + c.system) / 1000,
      maxBlockTimeMs: z.maxBlockTimeMs,
      lbNet: z.lbNet,
      tried: z.tried,
      baseline: { deadlineViolations: b.deadlineViolations, maxBlockTimeMs: b.maxBlockTimeMs, lbNet: b.lbNet },
    };
  }
  return {
    case: net.caseName,
    scenario: job.scenario,
    bound,
    zones,
    bestKnown,
    buses: net.n,
    links: net.m,
    sources: sources.length,
    loadMs,
    electionMs,
    algorithms: figures,
    allFourWallMs,
    raDbmmExhaustive,
    job: {
      wallMs: performance.now() - jobStart,
      cpuMs: cpuMsSince(jobCpu),
      loadavg1: loadavg()[0],
    },
    rssBaselineMB,
    rssAfterQtdrMB,
    rssPeakMB: rssMB(),
  };
}

function inChild(job: Job): Promise<CaseFigures> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ["--child", JSON.stringify(job)], {
      execArgv: ["-r", "ts-node/register"],
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
    });
    let result: CaseFigures | undefined;
    child.on("message", (m) => (result = m as CaseFigures));
    child.on("error", reject);
    child.on("exit", (code) =>
      result ? resolve(result) : reject(new Error(`bench child for ${job.caseRef} exited ${code}`)),
    );
  });
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const ms = (x: number | undefined): string => (x === undefined ? "-" : x < 10 ? x.toFixed(2) : x.toFixed(0));

/** Least-squares slope of log(runtime) on log(buses): ~1 is linear, ~2 quadratic. */
function logLogSlope(points: [number, number][]): number | null {
  const p = points.filter(([x, y]) => x > 0 && y > 0).map(([x, y]) => [Math.log(x), Math.log(y)]);
  if (p.length < 2) return null;
  const mx = p.reduce((s, [x]) => s + x, 0) / p.length;
  const my = p.reduce((s, [, y]) => s + y, 0) / p.length;
  const sxy = p.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = p.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxy / sxx;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const cases = (arg("cases") ?? ALL_CASES.join(",")).split(",").filter((c) => c !== "");
  const runs = Number(arg("runs") ?? DEFAULT_RUNS);
  const results: CaseFigures[] = [];
  for (const caseRef of cases) {
    results.push(await inChild({ caseRef, scenario: "default", runs }));
    const last = results[results.length - 1];
    if (!SMALL_CASES.has(last.case)) results.push(await inChild({ caseRef, scenario: "stress", runs }));
    process.stderr.write(`done ${last.case}\n`);
  }

  console.log(
    "\nLB_net reduction 1 - LB_ours / LB_baseline (default scenario; P003 claims 39.43% vs QoS-R, 29.73% vs RA-DBMM on IEEE 118)",
  );
  const lbRows = results
    .filter((r) => SMALL_CASES.has(r.case))
    .map((r) => {
      const a = r.algorithms;
      const row: Record<string, string | number> = { case: r.case };
      for (const ours of ["QT-DR", "QT-DR+LS"] as const) {
        const o = a[ours];
        if (!o) continue;
        const vq = 1 - o.lbNet / a["QoS-R"]!.lbNet;
        const vr = 1 - o.lbNet / a["RA-DBMM"]!.lbNet;
        row[`${ours} vs QoS-R`] = pct(vq);
        row[`${ours} vs RA-DBMM`] = pct(vr);
        row[`${ours} meets claim`] = vq >= CLAIM.vsQosR && vr >= CLAIM.vsRaDbmm ? "yes" : "no";
        row[`${ours} violations`] = o.deadlineViolations;
      }
      return row;
    });
  console.table(lbRows);

  console.log(
    `\nProven bound and best known single-path LB_net (Mbit/s); ${OPTIMISER} must be within ${pct(OPTIMISER_TOLERANCE)} of the best known with no deadline violation`,
  );
  const boundRows = results
    .filter((r) => r.bound)
    .map((r) => {
      const row: Record<string, string | number> = {
        case: r.case,
        bound: r.bound!.lbNet.toFixed(2),
        "bound ms": Math.round(r.bound!.runtimeMs),
        "best known": `${r.bestKnown!.lbNet.toFixed(2)} (${r.bestKnown!.by})`,
      };
      for (const [name, f] of Object.entries(r.algorithms))
        row[name] = `${f!.lbNet.toFixed(2)} (+${pct(f!.gapToBound!)})`;
      const o = r.algorithms[OPTIMISER];
      row[`${OPTIMISER} target`] =
        o && o.gapToBestKnown! <= OPTIMISER_TOLERANCE && o.deadlineViolations === 0
          ? "met"
          : `missed (+${pct(o?.gapToBestKnown ?? NaN)})`;
      return row;
    });
  console.table(boundRows);

  const zoneRows = results
    .filter((r) => r.zones)
    .map((r) => ({
      case: r.case,
      k: r.zones!.k,
      "deadline viol.": r.zones!.deadlineViolations,
      "max block ms": Math.round(r.zones!.maxBlockTimeMs),
      LB_net: r.zones!.lbNet.toFixed(2),
      "auto ms (wall)": Math.round(r.zones!.runtimeMs),
      "auto ms (cpu)": Math.round(r.zones!.cpuMs),
      "BFS baseline viol.": r.zones!.baseline.deadlineViolations,
    }));
  if (zoneRows.length > 0) {
    console.log("\nZones (--zones auto, default model): target zero violations, ACTIVSg10k within 30 s");
    console.table(zoneRows);
  }

  console.log(
    "\nRuntime (ms, wall unless marked cpu; election included in QT-DR, QoS-R, RA-DBMM; small cases: median of warm runs) " +
      `and peak RSS. Load average now: ${loadavg()
        .map((x) => x.toFixed(1))
        .join(", ")} on ${cpus().length} cores`,
  );
  const rtRows = results.map((r) => ({
    case: r.case,
    scenario: r.scenario,
    buses: r.buses,
    links: r.links,
    sources: r.sources,
    election: ms(r.electionMs),
    "QT-DR": ms(r.algorithms["QT-DR"]?.wallMs),
    "QT-DR cpu": ms(r.algorithms["QT-DR"]?.cpuMs),
    "QoS-R": ms(r.algorithms["QoS-R"]?.wallMs),
    "RA-DBMM": ms(r.algorithms["RA-DBMM"]?.wallMs),
    SP: ms(r.algorithms.SP?.wallMs),
    "QT-DR+LS": ms(r.algorithms["QT-DR+LS"]?.wallMs),
    "QT-DR viol.": r.algorithms["QT-DR"]?.deadlineViolations ?? "-",
    "baseline RSS MB": Math.round(r.rssBaselineMB),
    "RSS after QT-DR MB": Math.round(r.rssAfterQtdrMB),
    "peak RSS MB": Math.round(r.rssPeakMB),
  }));
  console.table(rtRows);

  const byCase = (c: string, s = "default"): CaseFigures | undefined =>
    results.find((r) => r.case === c && r.scenario === s);
  const r118 = byCase("ieee118");
  const sumFour = r118
    ? (["QT-DR", "QoS-R", "RA-DBMM", "SP"] as const).reduce((s, n) => s + r118.algorithms[n]!.wallMs, 0)
    : null;
  const targets = {
    ieee118AllFour: {
      sumOfRuntimesMs: sumFour,
      oneCallWallMs: r118?.allFourWallMs ?? null,
      targetMs: TARGETS.ieee118AllFourMs,
    },
    activsg10kQtdr: {
      defaultMs: byCase("case_ACTIVSg10k")?.algorithms["QT-DR"]?.wallMs ?? null,
      stressMs: byCase("case_ACTIVSg10k", "stress")?.algorithms["QT-DR"]?.wallMs ?? null,
      targetMs: TARGETS.activsg10kQtdrMs,
    },
    pegase9241Qtdr: {
      defaultMs: byCase("case9241pegase")?.algorithms["QT-DR"]?.wallMs ?? null,
      stressMs: byCase("case9241pegase", "stress")?.algorithms["QT-DR"]?.wallMs ?? null,
      targetMs: TARGETS.pegase9241QtdrMs,
    },
    ieee118Optimiser: {
      ms: r118?.algorithms[OPTIMISER]?.wallMs ?? null,
      targetMs: TARGETS.ieee118OptimiserMs,
    },
    optimiserWithin5PctOfBestKnown: Object.fromEntries(
      results
        .filter((r) => r.bestKnown && r.algorithms[OPTIMISER])
        .map((r) => {
          const o = r.algorithms[OPTIMISER]!;
          return [r.case, o.gapToBestKnown! <= OPTIMISER_TOLERANCE && o.deadlineViolations === 0];
        }),
    ),
  };
  console.log("\nTargets");
  console.table({
    "IEEE 118, all four (sum of runtimes)": { ms: ms(sumFour ?? undefined), target: TARGETS.ieee118AllFourMs },
    "IEEE 118, all four (one routePeriod call)": {
      ms: ms(r118?.allFourWallMs ?? undefined),
      target: TARGETS.ieee118AllFourMs,
    },
    "ACTIVSg10k QT-DR (default / stress)": {
      ms: `${ms(targets.activsg10kQtdr.defaultMs ?? undefined)} / ${ms(targets.activsg10kQtdr.stressMs ?? undefined)}`,
      target: TARGETS.activsg10kQtdrMs,
    },
    "9241pegase QT-DR (default / stress)": {
      ms: `${ms(targets.pegase9241Qtdr.defaultMs ?? undefined)} / ${ms(targets.pegase9241Qtdr.stressMs ?? undefined)}`,
      target: TARGETS.pegase9241QtdrMs,
    },
  });

  const slopes: Record<string, number | null> = {};
  for (const scenario of ["default", "stress"]) {
    // The stress scenario only differs on the large cases; the small ones use their default runs.
    const rows = results.filter((r) => r.scenario === scenario || (scenario === "stress" && SMALL_CASES.has(r.case)));
    slopes[`election (${scenario})`] = logLogSlope(rows.map((r) => [r.buses, r.electionMs]));
    for (const n of ["QT-DR", "QoS-R", "RA-DBMM", "SP"] as const) {
      slopes[`${n} (${scenario})`] = logLogSlope(rows.map((r) => [r.buses, r.algorithms[n]?.wallMs ?? 0]));
    }
  }
  console.log("\nScaling: slope of log(runtime) against log(buses) over all cases (1 = linear, 2 = quadratic)");
  console.table(
    Object.fromEntries(Object.entries(slopes).map(([k, v]) => [k, { slope: v === null ? "-" : v.toFixed(2) }])),
  );

  mkdirSync(join(__dirname, "results"), { recursive: true });
  writeFileSync(
    RESULTS_FILE,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg(), node: process.version },
        runs,
        claim: CLAIM,
        scenarios: SCENARIOS,
        cases: results,
        lbReductions: lbRows,
        bounds: boundRows,
        zones: zoneRows,
        targets,
        scalingSlopes: slopes,
      },
      null,
      2,
    ),
  );
  console.log(`\nWrote ${RESULTS_FILE}`);
}

if (process.argv[2] === "--child") {
  runJob(JSON.parse(process.argv[3]) as Job).then(
    (figures) => process.send!(figures, () => process.exit(0)),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
