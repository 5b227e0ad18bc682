import { types } from "hardhat/config";
import { gridTask } from "../common/gridTask";
import type { RouteReport as Report } from "../../src/routing/api";
import { load } from "../common/lazy";

export const ROUTE_DEFAULTS = Object.freeze({ algorithms: "QT-DR,QoS-R,RA-DBMM,SP", seed: 1 });

export interface RouteTaskOptions {
  /** Bundled case: ieee118, 118 or case118 (see docs/grid-model.md). */
  case?: string;
  /** Any case file of the data/ieee format. */
  caseFile?: string;
  algorithms: string;
  out?: string;
  /** Seed of the background load draw. */
  seed: number;
  /** Background utilisation range per link, e.g. 0.1-0.5. */
  background?: string;
  /** Sources JSON file overriding the case's default sources. */
  sources?: string;
  /** Model overrides: inline JSON or a JSON file, {"network": {...}, "routing": {...}, "sources": {...}}. */
  model?: string;
  /** Also compute the proven lower bounds on LB_net and max utilisation (HiGHS; seconds on IEEE 118). */
  bounds: boolean;
  /** Zones with their own generators: "auto" (fewest meeting every deadline) or a count; replaces the single-generator run. */
  zones?: string;
}

/** grid:route --zones output: the zoned routing and the BFS baseline partition with the same k. */
export interface ZonesTaskReport {
  case: string;
  buses: number;
  links: number;
  sources: number;
  zones: import("../../src/routing/zones").ZonesReport;
  baseline: import("../../src/routing/zones").ZonesReport;
}

/** Routes one case with the chosen algorithms and writes (or prints) the grid:route JSON. */
export async function runRoute(opts: RouteTaskOptions): Promise<Report | ZonesTaskReport> {
  const { loadNetwork, routePeriod, routeWithBounds, reportToJson } = load.routing.api();
  const { parseModelOverrides, parseBackground, readSourcesFile } = load.routing.inputs();
  const { parseAlgorithmNames } = load.routing.algorithms();
  const { defaultSources } = load.grid.sources();
  if ((opts.case === undefined) === (opts.caseFile === undefined)) {
    throw new Error("grid:route needs exactly one of --case <name> or --case-file <path>");
  }
  const model = parseModelOverrides(opts.model);
  const background = parseBackground(opts.background, opts.seed);
  const network = background ? { ...model.network, background } : model.network;
  const net = loadNetwork(opts.caseFile !== undefined ? { file: opts.caseFile } : { case: opts.case! }, network);
  const sources =
    opts.sources !== undefined ? readSourcesFile(opts.sources) : defaultSources(net.caseName, net.grid, model.sources);
  if (opts.zones !== undefined) return runZones(opts, net, sources, model.routing);
  const algorithms = parseAlgorithmNames(opts.algorithms);
  const report = opts.bounds
    ? await routeWithBounds(net, sources, model.routing, algorithms)
    : routePeriod(net, sources, model.routing, algorithms);
  if (!(await writeJson(reportToJson(report), opts.out))) return report;
  const rows: Record<string, Record<string, string | number>> = {};
  for (const a of Object.values(report.algorithms)) {
    rows[a!.algorithm] = {
      generator: a!.generator,
      "block ms": Number(a!.blockTimeMs.toFixed(1)),
      "LB_net Mbit/s": Number(a!.lbNet.toFixed(2)),
      "LB_used Mbit/s": Number(a!.lbUsed.toFixed(2)),
      "max util": Number(a!.maxUtil.toFixed(3)),
      "deadline viol.": a!.deadlineViolations,
      unreachable: a!.unreachable.length,
      "runtime ms": Number(a!.runtimeMs.toFixed(1)),
    };
    const gap = report.bounds?.gapToBound[a!.algorithm as keyof typeof report.bounds.gapToBound];
    if (gap !== undefined) rows[a!.algorithm]["LB_net / bound - 1"] = `${(gap * 100).toFixed(1)}%`;
  }
  console.log(
    `${report.case}: ${report.buses} buses, ${report.links} links, ${report.islands} island(s), ${sources.length} sources`,
  );
  console.table(rows);
  const b = report.bounds;
  if (b) {
    console.log(
      `Proven bounds over ${b.generators - b.infeasibleGenerators} feasible generators (${b.infeasibleGenerators} cannot meet every deadline): ` +
        `LB_net >= ${b.lbNet.toFixed(2)} Mbit/s (generator bus ${b.lbNetGenerator}, split-flow QP ${b.lbNetSplit.toFixed(2)}, gap ${(b.gap * 100).toFixed(3)}%), ` +
        `max util >= ${b.maxUtil.toFixed(3)} (bus ${b.maxUtilGenerator}); ${b.runtimeMs.toFixed(0)} ms`,
    );
  }
  console.log(`Wrote ${opts.out}`);
  return report;
}

async function runZones(
  opts: RouteTaskOptions,
  net: import("../../src/grid/network").GridNetwork,
  sources: import("../../src/grid/sources").Source[],
  routing: Partial<import("../../src/routing/options").RoutingOptions>,
): Promise<ZonesTaskReport> {
  const { routeZones, parseZoneCount } = load.routing.zones();
  const { reportToJson } = load.routing.api();
  const zones = routeZones(net, sources, parseZoneCount(opts.zones!), routing, "delay");
  const baseline = routeZones(net, sources, zones.k, routing, "bfs");
  const report: ZonesTaskReport = {
    case: net.caseName,
    buses: net.n,
    links: net.m,
    sources: sources.length,
    zones,
    baseline,
  };
  if (!(await writeJson(reportToJson(report), opts.out))) return report;
  const line = (r: typeof zones, name: string) => ({
    k: r.k,
    "deadline viol.": r.deadlineViolations,
    "max block ms": Number(r.maxBlockTimeMs.toFixed(1)),
    "LB_net Mbit/s": Number(r.lbNet.toFixed(2)),
    "runtime ms": Number(r.runtimeMs.toFixed(0)),
    partition: name,
  });
  console.log(`${report.case}: ${report.buses} buses, ${report.links} links, ${report.sources} sources`);
  console.table({ zones: line(zones, "delay k-centre"), baseline: line(baseline, "BFS chunks") });
  console.table(
    zones.zones.map((z) => ({
      zone: z.zone,
      generator: z.generator ?? "-",
      buses: z.buses,
      sources: z.sources,
      "block ms": Number(z.blockTimeMs.toFixed(1)),
      LB_net: Number(z.lbNet.toFixed(2)),
      "deadline viol.": z.deadlineViolations + z.unreachable,
    })),
  );
  if (opts.zones!.trim().toLowerCase() === "auto") {
    console.log(`k tried (violations): ${zones.tried.map((t) => `${t.k} (${t.deadlineViolations})`).join(", ")}`);
  }
  console.log(`Wrote ${opts.out}`);
  return report;
}

gridTask("route", "Route one period's data blocks on an IEEE case with QT-DR and the baselines; write JSON", (t) =>
  t
    .addOptionalParam(
      "case",
      "bundled case: ieee14|30|39|57|118, case2383wp, case9241pegase, case_ACTIVSg10k (or 39, case39)",
    )
    .addOptionalParam("caseFile", "path to any case JSON of the data/ieee format")
    .addOptionalParam("algorithms", "comma-separated: QT-DR, QT-DR+LS, QoS-R, RA-DBMM, SP", ROUTE_DEFAULTS.algorithms)
    .addOptionalParam("out", "write the JSON here (default: print it)")
    .addOptionalParam("seed", "seed of the --background draw", ROUTE_DEFAULTS.seed, types.int)
    .addOptionalParam("background", "background utilisation range per link, e.g. 0.1-0.5 (default none)")
    .addOptionalParam("sources", "JSON file of sources [{bus, bytes, deadlineMs?}] (default: the case's)")
    .addOptionalParam("model", 'model overrides, inline JSON or file: {"network":{...},"routing":{...}}')
    .addFlag("bounds", "also prove lower bounds on LB_net and max utilisation (split-flow QP/LP with HiGHS)")
    .addOptionalParam("zones", "auto | k: zones each with its own generator (QT-DR per zone), vs a BFS partition")
    .setAction(async (args: RouteTaskOptions) => {
      await runRoute(args);
    }),
);

/** Writes the report's JSON to `out`, or prints it when there is no `out`; true when written (print a summary). */
async function writeJson(json: string, out: string | undefined): Promise<boolean> {
  if (out === undefined) {
    console.log(json);
    return false;
  }
  const { mkdirSync, writeFileSync } = await import("node:fs");
  const { dirname } = await import("node:path");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, json);
  return true;
}
