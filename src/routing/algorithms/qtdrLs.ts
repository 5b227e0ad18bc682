import { Demand, orderDemands, Path } from "../demands";
import { GeneratorView, RoutingContext } from "../context";
import { Evaluation, evaluateRoutes } from "../evaluate";
import { LoadState } from "../state";
import { kShortestPaths } from "../yen";
import { demandWeight, qtdrRoutes } from "./qtdr";

/** Tuning of the local-search optimiser (not part of P003: an extra algorithm, "QT-DR+LS"). */
export interface LocalSearchOptions {
  /** Generators tried, best first by the election (QT-DR itself tries `generatorCandidates`). */
  generators: number;
  /** Full passes over the demands; a pass that moves nothing ends the search early. */
  maxRounds: number;
}

export const DEFAULT_LOCAL_SEARCH: Readonly<LocalSearchOptions> = Object.freeze({ generators: 8, maxRounds: 20 });

/** A move must lower LB_net by at least this much (Mbit/s) to count, so the search terminates. */
const MIN_GAIN_MBPS = 1e-9;

function samePath(a: Path, b: Path): boolean {
  return a.nodes.length === b.nodes.length && a.nodes.every((v, i) => v === b.nodes[i]);
}

/** Whether every routed demand still meets its deadline on the current load. */
function allMeetDeadlines(state: LoadState, routed: readonly Demand[], routes: readonly (Path | null)[]): boolean {
  return routed.every((d) => state.pathDelay(routes[d.index]!, d.bytes) <= d.deadlineS);
}

/**
 * Rip-up and re-route: each demand in turn is released and re-placed on the path with the smallest
 * LB_net after allocation, chosen among Yen's K paths by marginal balance cost (2 x link load + own
 * rate per hop, which is the first-order change of the sum of squares) and Yen's K paths by delay.
 * A move is kept only if it lowers LB_net and every demand still meets its deadline.
 */
function improve(ctx: RoutingContext, view: GeneratorView, routes: (Path | null)[], rounds: number): void {
  const { net, opts, search } = ctx;
  const state = new LoadState(net, opts, view.reachable);
  const movable = orderDemands(view.reachable).filter((d) => d.node !== view.g);
  for (const d of movable) state.allocate(routes[d.index]!, d);
  let bRef = 0;
  for (let l = 0; l < net.m; l++) bRef = Math.max(bRef, net.bandwidthBps[l]);
  for (let round = 0; round < rounds; round++) {
    let moved = false;
    for (const d of movable) {
      const current = routes[d.index]!;
      state.release(current, d);
      const base = { source: d.node, target: view.g, hopBudget: opts.hopBound, hopsToTarget: view.hopsToG };
      const balancePaths = kShortestPaths(
        search,
        {
          ...base,
          weight: (_u, l) => (state.rb[l] - d.rateBps > 0 ? 2 * (bRef - state.rb[l]) + d.rateBps : Infinity),
          heuristic: (v) => d.rateBps * view.hopsToG[v],
        },
        opts.kPaths,
      );
      const delayPaths = kShortestPaths(
        search,
        { ...base, weight: demandWeight(state, d), heuristic: view.delayBound(d.bytes) },
        opts.kPaths,
      );
      const currentLb = state.lbNetIfAllocated(current.links, d.rateBps);
      let best = current;
      let bestLb = currentLb;
      for (const p of [...balancePaths, ...delayPaths]) {
        if (samePath(p, current) || state.delayIfAllocated(p, d) > d.deadlineS) continue;
        const lb = state.lbNetIfAllocated(p.links, d.rateBps);
        if (lb < bestLb - MIN_GAIN_MBPS) {
          best = p;
          bestLb = lb;
        }
      }
      state.allocate(best, d);
      if (best === current) continue;
      routes[d.index] = best;
      if (allMeetDeadlines(state, movable, routes)) {
        moved = true;
      } else {
        state.release(best, d);
        state.allocate(current, d);
        routes[d.index] = current;
      }
    }
    if (!moved) break;
  }
}

/** Orders evaluations: fewer deadline violations, then smaller LB_net, then shorter block time. */
function better(a: Evaluation, b: Evaluation): boolean {
  return (
    a.deadlineViolations < b.deadlineViolations ||
    (a.deadlineViolations === b.deadlineViolations &&
      (a.lbNet < b.lbNet || (a.lbNet === b.lbNet && a.blockTimeMs < b.blockTimeMs)))
  );
}

/**
 * QT-DR+LS: an optimiser beyond P003, reported under its own name. It starts from QT-DR's greedy
 * routes for each of the best `generators` of the election, improves them by local search, and keeps
 * the generator with the fewest deadline violations and then the smallest LB_net (QT-DR itself
 * keeps the fastest block).
 */
export function qtdrLs(ctx: RoutingContext, ls: LocalSearchOptions = DEFAULT_LOCAL_SEARCH): Evaluation {
  const ranking = ctx.generatorRanking();
  const fewestUnreachable = ranking[0].unreachable;
  const candidates = ranking.filter((s) => s.unreachable === fewestUnreachable).slice(0, ls.generators);
  let best: Evaluation | undefined;
  for (const { node } of candidates) {
    const view = ctx.view(node);
    const routes = qtdrRoutes(ctx, view);
    improve(ctx, view, routes, ls.maxRounds);
    const ev = evaluateRoutes(ctx.net, ctx.opts, ctx.demands, node, routes, ctx.search);
    if (!best || better(ev, best)) best = ev;
  }
  return best!;
}
