import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { layoutNetwork } from "../grid/layout";
import { GridNetwork, NetworkOptions } from "../grid/network";
import { defaultSources, SourceRuleOptions } from "../grid/sources";
import { writeSvg } from "../plot/render";
import { AlgorithmName } from "./algorithms";
import { loadNetwork, reportToJson, RouteReport, routePeriod, routeWithBounds } from "./api";
import { CaseFrontier, paretoFrontier } from "./frontier";
import { AlgorithmResult } from "./evaluate";
import { RoutingOptions } from "./options";
import {
  CaseAlgorithmRow,
  DrawnEdge,
  DrawnNode,
  frontierSpec,
  groupedBarSpec,
  LinkUtilRow,
  linkUtilSpec,
  networkSpec,
  sortedUtilSpec,
  twoPanelSpec,
} from "./plots";
import { PAPER_CLAIMS, type CaseReductions, type CaseZones, type ExperimentResults } from "./experimentResults";
import { routeZones } from "./zones";
import { experimentReport } from "./report";

export { PAPER_CLAIMS, type CaseReductions, type ExperimentResults } from "./experimentResults";

export const EXPERIMENT_CASES: readonly string[] = ["14", "30", "39", "57", "118"];
export const EXPERIMENT_ALGORITHMS: readonly AlgorithmName[] = ["QT-DR", "QT-DR+LS", "QoS-R", "RA-DBMM", "SP"];
/** Cases whose per-link utilisation is plotted (P003 Figs. 10 and 12). */
export const LINK_UTIL_CASES: readonly string[] = ["ieee39", "ieee118"];

export interface ExperimentOptions {
  cases: readonly string[];
  outDir: string;
  algorithms: readonly AlgorithmName[];
  routing: Partial<RoutingOptions>;
  network: Partial<NetworkOptions>;
  /** Overrides of the default-source rule (cases other than IEEE 39). */
  sourceRule?: Partial<SourceRuleOptions>;
  /** Prove lower bounds on LB_net and max utilisation per case (HiGHS; seconds per case). */
  bounds?: boolean;
  /** Sweep the optimiser's (block time, LB_net) frontier per case and plot it (tens of seconds on IEEE 118). */
  frontier?: boolean;
  /** Cut every case into zones (a count, or "auto": the fewest meeting every deadline) against a BFS partition. */
  zones?: number | "auto";
}

/** `1 - LB_ours / LB_baseline`, or null when the baseline is perfectly balanced. */
export function reduction(ours: number, baseline: number): number | null {
  return baseline > 0 ? 1 - ours / baseline : null;
}

const OURS: readonly AlgorithmName[] = ["QT-DR", "QT-DR+LS"];
const BASELINES: readonly AlgorithmName[] = ["QoS-R", "RA-DBMM", "SP"];

function caseReductions(report: RouteReport): CaseReductions {
  const out: CaseReductions = { case: report.case, lbNet: {}, lbUsed: {} };
  for (const o of OURS) {
    for (const b of BASELINES) {
      const ro = report.algorithms[o];
      const rb = report.algorithms[b];
      if (!ro || !rb) continue;
      out.lbNet[`${o} vs ${b}`] = reduction(ro.lbNet, rb.lbNet);
      out.lbUsed[`${o} vs ${b}`] = reduction(ro.lbUsed, rb.lbUsed);
    }
  }
  return out;
}

function rowsOf(reports: readonly RouteReport[], pick: (r: AlgorithmResult) => number): CaseAlgorithmRow[] {
  return reports.flatMap((rep) =>
    Object.values(rep.algorithms).map((a) => ({ case: rep.case, algorithm: a!.algorithm, value: pick(a!) })),
  );
}

function linkRows(report: RouteReport): LinkUtilRow[] {
  return Object.values(report.algorithms).flatMap((a) =>
    a!.links.map((l, i) => ({ link: i + 1, label: `${l.from}-${l.to}`, algorithm: a!.algorithm, util: l.util })),
  );
}

/** Drawing data for one algorithm's routing on a network. */
function drawing(net: GridNetwork, result: AlgorithmResult): { nodes: DrawnNode[]; edges: DrawnEdge[] } {
  const { x, y } = layoutNetwork(net);
  const sources = new Set(result.routes.map((r) => r.source));
  const routed = new Set<string>();
  for (const r of result.routes) {
    for (let i = 0; i + 1 < r.path.length; i++) {
      routed.add(`${r.path[i]}-${r.path[i + 1]}`);
      routed.add(`${r.path[i + 1]}-${r.path[i]}`);
    }
  }
  const nodes: DrawnNode[] = Array.from(net.busIds, (bus, i) => ({
    bus,
    x: x[i],
    y: y[i],
    role: bus === result.generator ? "generator" : sources.has(bus) ? "source" : "terminal",
  }));
  const edges: DrawnEdge[] = result.links.map((l, k) => ({
    x: x[net.linkA[k]],
    y: y[net.linkA[k]],
    x2: x[net.linkB[k]],
    y2: y[net.linkB[k]],
    routed: routed.has(`${l.from}-${l.to}`),
    util: l.util,
  }));
  return { nodes, edges };
}

/**
 * Reproduces P003 Figs. 9-12 and Table 3 and P000's imbalance comparison: routes every case with
 * every algorithm on its default sources, then writes results.json, the SVG figures and report.md.
 */
export async function runExperiment(opts: ExperimentOptions): Promise<ExperimentResults> {
  mkdirSync(opts.outDir, { recursive: true });
  const reports: RouteReport[] = [];
  const networks = new Map<string, GridNetwork>();
  for (const c of opts.cases) {
    const net = loadNetwork({ case: c }, opts.network);
    networks.set(net.caseName, net);
    const sources = defaultSources(net.caseName, net.grid, opts.sourceRule);
    reports.push(
      opts.bounds
        ? await routeWithBounds(net, sources, opts.routing, opts.algorithms)
        : routePeriod(net, sources, opts.routing, opts.algorithms),
    );
  }
  const files: string[] = [];
  const out = (name: string): string => {
    const p = join(opts.outDir, name);
    files.push(p);
    return p;
  };
  const algs = opts.algorithms;
  await writeSvg(
    out("block-time.svg"),
    groupedBarSpec(
      rowsOf(reports, (a) => a.blockTimeMs),
      algs,
      "Block generation time per case (P003 Figs. 9, 11)",
      "block time (ms)",
    ),
  );
  await writeSvg(
    out("load-balance.svg"),
    twoPanelSpec(
      groupedBarSpec(
        rowsOf(reports, (a) => a.lbNet),
        algs,
        "LB_net: all links",
        "LB (Mbit/s)",
      ),
      groupedBarSpec(
        rowsOf(reports, (a) => a.lbUsed),
        algs,
        "LB_used: links the routes use",
        "LB (Mbit/s)",
      ),
      "Load-balance degree per case (P003 Table 3, P000), lower is better",
    ),
  );
  for (const rep of reports) {
    const net = networks.get(rep.case)!;
    if (LINK_UTIL_CASES.includes(rep.case)) {
      await writeSvg(out(`link-util-${rep.case}.svg`), linkUtilSpec(rep.case, linkRows(rep), algs));
      await writeSvg(out(`link-util-sorted-${rep.case}.svg`), sortedUtilSpec(rep.case, linkRows(rep), algs));
    }
    const q = rep.algorithms["QT-DR"];
    if (q) {
      const { nodes, edges } = drawing(net, q);
      const title = `${rep.case}: QT-DR routes to generator bus ${q.generator} (line width = utilisation)`;
      await writeSvg(out(`network-${rep.case}.svg`), networkSpec(title, nodes, edges));
    }
  }
  const frontiers: CaseFrontier[] = [];
  if (opts.frontier) {
    for (const rep of reports) {
      const net = networks.get(rep.case)!;
      const f = paretoFrontier(net, rep.sources, rep);
      frontiers.push(f);
      const on = new Set(f.frontier);
      await writeSvg(
        out(`frontier-${rep.case}.svg`),
        frontierSpec(
          rep.case,
          f.points.map((p) => ({ ...p, onFrontier: on.has(p) })),
          rep.bounds?.lbNet,
        ),
      );
    }
  }
  const zoned: CaseZones[] = [];
  if (opts.zones !== undefined) {
    for (const rep of reports) {
      const net = networks.get(rep.case)!;
      const zones = routeZones(net, rep.sources, opts.zones, opts.routing, "delay");
      const baseline = routeZones(net, rep.sources, zones.k, opts.routing, "bfs");
      zoned.push({ case: rep.case, requested: opts.zones, zones, baseline });
    }
  }
  const results: ExperimentResults = {
    cases: reports,
    reductions: reports.map(caseReductions),
    claims: PAPER_CLAIMS,
    ...(opts.frontier ? { frontiers } : {}),
    ...(opts.zones !== undefined ? { zones: zoned } : {}),
    files: [],
  };
  const resultsPath = out("results.json");
  const reportPath = out("report.md");
  results.files = [...files];
  writeFileSync(resultsPath, reportToJson(results));
  writeFileSync(reportPath, experimentReport(results));
  return results;
}
