import { loadCase } from "../grid/case";
import { buildNetwork, GridNetwork, NetworkOptions } from "../grid/network";
import { Source } from "../grid/sources";
import { ALGORITHMS, AlgorithmName, DEFAULT_ALGORITHMS } from "./algorithms";
import { RoutingContext } from "./context";
import { buildDemands } from "./demands";
import { BoundOptions, CaseBounds, computeBounds } from "./bounds";
import { AlgorithmResult } from "./evaluate";
import { resolveRoutingOptions, RoutingOptions } from "./options";

/** The grid:route document: the case, the sources and one result per algorithm. */
export interface RouteReport {
  case: string;
  buses: number;
  links: number;
  sources: Source[];
  /** Islands of the P2P network (1 when connected). */
  islands: number;
  /** Wall time of the shared generator election, ms (also counted in each algorithm that uses it). */
  electionMs: number;
  options: RoutingOptions;
  algorithms: Partial<Record<AlgorithmName, AlgorithmResult>>;
  /** Proven lower bounds (`routeWithBounds`), with each algorithm's gap to them. */
  bounds?: BoundsReport;
}

/** The bounds section of a report: the case's bounds and each algorithm's distance to them. */
export interface BoundsReport extends CaseBounds {
  /** Per algorithm `lbNet / bound - 1` (how far above the proven bound; 0 would be optimal). */
  gapToBound: Partial<Record<AlgorithmName, number>>;
  /** Per algorithm `maxUtil / maxUtil bound - 1`. */
  maxUtilGapToBound: Partial<Record<AlgorithmName, number>>;
}

/**
 * Loads a case (bundled by name, or any file of the same format) and builds its P2P network once;
 * reuse the result for every period.
 */
export function loadNetwork(
  ref: { case: string } | { file: string },
  options: Partial<NetworkOptions> = {},
): GridNetwork {
  const loaded = loadCase(ref);
  return buildNetwork(loaded.name, loaded.grid, options);
}

/**
 * Routes one period's blocks on a built network with each requested algorithm and scores every
 * result under the same delay and balance model. `sources` overrides the case's default sources;
 * `options` overrides the routing defaults (e.g. `tBuildMs`, the measured Merkle build + sign time).
 */
export function routePeriod(
  net: GridNetwork,
  sources: readonly Source[],
  options: Partial<RoutingOptions> = {},
  algorithms: readonly AlgorithmName[] = DEFAULT_ALGORITHMS,
): RouteReport {
  const opts = resolveRoutingOptions(options);
  const demands = buildDemands(net, sources, opts);
  if (demands.length === 0) throw new RangeError(`routePeriod: no sources to route on ${net.caseName}`);
  const ctx = new RoutingContext(net, opts, demands);
  if (algorithms.some((a) => ALGORITHMS[a].usesElection)) ctx.generatorRanking();
  const results: Partial<Record<AlgorithmName, AlgorithmResult>> = {};
  for (const name of algorithms) {
    const spec = ALGORITHMS[name];
    const start = performance.now();
    const ev = spec.run(ctx);
    const runtimeMs = performance.now() - start + (spec.usesElection ? ctx.electionMs : 0);
    results[name] = { algorithm: name, ...ev, runtimeMs };
  }
  return {
    case: net.caseName,
    buses: net.n,
    links: net.m,
    sources: sources.map((s) => ({ ...s })),
    islands: net.componentCount,
    electionMs: ctx.electionMs,
    options: opts,
    algorithms: results,
  };
}

/**
 * `routePeriod` plus the proven lower bounds of `bounds.ts` on LB_net and on the max utilisation
 * (same demands and options), and every algorithm's gap to them.
 */
export async function routeWithBounds(
  net: GridNetwork,
  sources: readonly Source[],
  options: Partial<RoutingOptions> = {},
  algorithms: readonly AlgorithmName[] = DEFAULT_ALGORITHMS,
  boundOptions: Partial<BoundOptions> = {},
): Promise<RouteReport> {
  const report = routePeriod(net, sources, options, algorithms);
  const ctx = new RoutingContext(net, report.options, buildDemands(net, sources, report.options));
  const bounds = await computeBounds(ctx, boundOptions);
  const gapToBound: Partial<Record<AlgorithmName, number>> = {};
  const maxUtilGapToBound: Partial<Record<AlgorithmName, number>> = {};
  for (const name of algorithms) {
    const a = report.algorithms[name]!;
    gapToBound[name] = bounds.lbNet > 0 ? a.lbNet / bounds.lbNet - 1 : Infinity;
    maxUtilGapToBound[name] = bounds.maxUtil > 0 ? a.maxUtil / bounds.maxUtil - 1 : Infinity;
  }
  return { ...report, bounds: { ...bounds, gapToBound, maxUtilGapToBound } };
}

/** JSON text of a report; unbounded delays (Infinity) become null. */
export function reportToJson(report: unknown): string {
  return JSON.stringify(report, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2);
}
