import { GridNetwork } from "../grid/network";
import { Demand, Path } from "./demands";
import { RoutingOptions } from "./options";
import { PathSearch } from "./search";
import { loadBalanceDegree, LoadState } from "./state";

export interface RouteResult {
  source: number;
  /** Buses from the source to the generator. */
  path: number[];
  /** Delivery delay under the final load; Infinity (null in JSON) when a link on it has no bandwidth left. */
  delayMs: number;
  hops: number;
  bytes: number;
  deadlineMs: number;
}

export interface LinkUse {
  from: number;
  to: number;
  /** (background + routed load) / bandwidth. */
  util: number;
}

/** What every algorithm reports; the keys of grid:route's JSON plus a few diagnostics. */
export interface AlgorithmResult {
  algorithm: string;
  /** Bus chosen as block generator. */
  generator: number;
  /** `T_block = collect + T_build + 2 * broadcast` (section 5), ms. */
  blockTimeMs: number;
  collectMs: number;
  broadcastMs: number;
  tBuildMs: number;
  /** Load-balance degree over all links, Mbit/s (section 6). */
  lbNet: number;
  /** Load-balance degree over the links that routes use, Mbit/s. */
  lbUsed: number;
  maxUtil: number;
  meanUtil: number;
  /** Routes whose delay exceeds their deadline (including unbounded delays). */
  deadlineViolations: number;
  /** Routes longer than the hop bound. */
  hopViolations: number;
  /** Links whose routed load leaves no bandwidth (RB <= 0). */
  overloadedLinks: number;
  /** Wall time of the algorithm, including the election it relies on, ms. */
  runtimeMs: number;
  routes: RouteResult[];
  /** Sources in other islands than the generator: not routed, listed here instead. */
  unreachable: { source: number; bytes: number }[];
  links: LinkUse[];
}

export type Evaluation = Omit<AlgorithmResult, "algorithm" | "runtimeMs">;

/**
 * Scores a routing under one common model, whatever algorithm produced it: loads every routed
 * demand, then prices each route, the header broadcast and the link balance on the final load.
 * `routes[i]` belongs to `demands[i]`; null marks an unreachable source.
 */
export function evaluateRoutes(
  net: GridNetwork,
  opts: RoutingOptions,
  demands: readonly Demand[],
  generator: number,
  routes: readonly (Path | null)[],
  search: PathSearch,
): Evaluation {
  const routed = demands.filter((d, i) => routes[i] !== null);
  const state = new LoadState(net, opts, routed);
  demands.forEach((d, i) => {
    const p = routes[i];
    if (p) state.allocate(p, d);
  });
  const busPath = (p: Path): number[] => p.nodes.map((v) => net.busIds[v]);
  const routeResults: RouteResult[] = [];
  const unreachable: { source: number; bytes: number }[] = [];
  const used = new Set<number>();
  let collect = 0;
  let deadlineViolations = 0;
  let hopViolations = 0;
  demands.forEach((d, i) => {
    const p = routes[i];
    if (!p) {
      unreachable.push({ source: d.bus, bytes: d.bytes });
      return;
    }
    const delay = state.pathDelay(p, d.bytes);
    collect = Math.max(collect, delay);
    if (delay > d.deadlineS) deadlineViolations++;
    if (p.links.length > opts.hopBound) hopViolations++;
    for (const l of p.links) used.add(l);
    routeResults.push({
      source: d.bus,
      path: busPath(p),
      delayMs: delay * 1000,
      hops: p.links.length,
      bytes: d.bytes,
      deadlineMs: d.deadlineS * 1000,
    });
  });
  const toAll = search.distances(generator, (u, l) => state.hopDelay(u, l, opts.headerBytes), "forward");
  let broadcast = 0;
  for (let v = 0; v < net.n; v++) {
    if (net.component[v] === net.component[generator]) broadcast = Math.max(broadcast, toAll[v]);
  }
  const tBuildS = opts.tBuildMs / 1000;
  const links: LinkUse[] = [];
  let maxUtil = 0;
  let sumUtil = 0;
  let overloadedLinks = 0;
  for (let l = 0; l < net.m; l++) {
    const util = (net.backgroundBps[l] + state.routed[l]) / net.bandwidthBps[l];
    links.push({ from: net.busIds[net.linkA[l]], to: net.busIds[net.linkB[l]], util });
    maxUtil = Math.max(maxUtil, util);
    sumUtil += util;
    if (state.routed[l] > 0 && state.rb[l] <= 0) overloadedLinks++;
  }
  return {
    generator: net.busIds[generator],
    blockTimeMs: (collect + tBuildS + 2 * broadcast) * 1000,
    collectMs: collect * 1000,
    broadcastMs: broadcast * 1000,
    tBuildMs: opts.tBuildMs,
    lbNet: state.lbNet(),
    lbUsed: loadBalanceDegree(state.rb, used) / 1e6,
    maxUtil,
    meanUtil: net.m > 0 ? sumUtil / net.m : 0,
    deadlineViolations,
    hopViolations,
    overloadedLinks,
    routes: routeResults,
    unreachable,
    links,
  };
}
