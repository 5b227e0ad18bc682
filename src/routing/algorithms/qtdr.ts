import { Demand, orderDemands, Path } from "../demands";
import { GeneratorView, RoutingContext, stayPath } from "../context";
import { Evaluation, evaluateRoutes } from "../evaluate";
import { LoadState } from "../state";
import { kShortestPaths } from "../yen";

/** A candidate path with what allocating the demand on it would cost. */
export interface ScoredCandidate {
  path: Path;
  delayS: number;
  lbNet: number;
}

/**
 * Step 3 of section 7: among candidates that meet the deadline, the smallest LB after allocation
 * (ties: smaller delay); when none meets it, the smallest delay (evaluation flags the violation).
 */
export function pickCandidate(cands: readonly ScoredCandidate[], deadlineS: number): ScoredCandidate {
  let best: ScoredCandidate | undefined;
  for (const c of cands) {
    if (c.delayS > deadlineS) continue;
    if (!best || c.lbNet < best.lbNet || (c.lbNet === best.lbNet && c.delayS < best.delayS)) best = c;
  }
  if (best) return best;
  return cands.reduce((a, c) => (c.delayS < a.delayS ? c : a));
}

/** Bandwidth-feasible delay weights for one demand on the current load (section 7 step 2). */
export function demandWeight(state: LoadState, d: Demand): (u: number, l: number) => number {
  return (u, l) => (state.rb[l] - d.rateBps > 0 ? state.hopDelay(u, l, d.bytes) : Infinity);
}

/** Steps 1-4 of section 7 towards one generator: greedy, demand by demand, on Yen candidates. */
export function qtdrRoutes(ctx: RoutingContext, view: GeneratorView): (Path | null)[] {
  const { net, opts, search } = ctx;
  const state = new LoadState(net, opts, view.reachable);
  const routes: (Path | null)[] = ctx.demands.map(() => null);
  for (const d of orderDemands(view.reachable)) {
    if (d.node === view.g) {
      routes[d.index] = stayPath(d.node);
      continue;
    }
    const paths = kShortestPaths(
      search,
      {
        source: d.node,
        target: view.g,
        weight: demandWeight(state, d),
        heuristic: view.delayBound(d.bytes),
        hopBudget: opts.hopBound,
        hopsToTarget: view.hopsToG,
      },
      opts.kPaths,
    );
    const chosen =
      paths.length > 0
        ? pickCandidate(
            paths.map((p) => ({
              path: p,
              delayS: state.delayIfAllocated(p, d),
              lbNet: state.lbNetIfAllocated(p.links, d.rateBps),
            })),
            d.deadlineS,
          ).path
        : view.fallback(d);
    state.allocate(chosen, d);
    routes[d.index] = chosen;
  }
  return routes;
}

/**
 * QT-DR (section 7): runs the greedy for the best few generators of the election (those reaching the
 * most sources) and keeps the one with the smallest block time, ties to the smaller LB_net.
 */
export function qtdr(ctx: RoutingContext): Evaluation {
  const ranking = ctx.generatorRanking();
  const fewestUnreachable = ranking[0].unreachable;
  const candidates = ranking.filter((s) => s.unreachable === fewestUnreachable).slice(0, ctx.opts.generatorCandidates);
  let best: Evaluation | undefined;
  for (const { node } of candidates) {
    const view = ctx.view(node);
    const ev = evaluateRoutes(ctx.net, ctx.opts, ctx.demands, node, qtdrRoutes(ctx, view), ctx.search);
    if (!best || ev.blockTimeMs < best.blockTimeMs || (ev.blockTimeMs === best.blockTimeMs && ev.lbNet < best.lbNet)) {
      best = ev;
    }
  }
  return best!;
}
