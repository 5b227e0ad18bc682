import { Demand, orderDemands, Path } from "../demands";
import { GeneratorView, RoutingContext, stayPath } from "../context";
import { Evaluation, evaluateRoutes } from "../evaluate";
import { FoundPath } from "../search";
import { LoadState } from "../state";

/**
 * The widest deadline-meeting path for one demand: the largest bottleneck threshold t such that the
 * delay-shortest path over links with RB >= t (and room for the demand, within the hop bound) meets
 * the deadline once allocated. Among paths of that width it is the fastest, which is the tie-break.
 * Thresholds are the distinct remaining bandwidths, searched by bisection (fewer links can only
 * lengthen the shortest path). Returns null when no bandwidth-feasible path exists.
 */
function widestPath(
  ctx: RoutingContext,
  view: GeneratorView,
  state: LoadState,
  d: Demand,
  thresholdSearch: ThresholdSearch,
): Path | null {
  const { net, opts, search } = ctx;
  const values = new Set<number>();
  for (let l = 0; l < net.m; l++) if (state.rb[l] - d.rateBps > 0) values.add(state.rb[l]);
  const thresholds = [...values].sort((a, b) => b - a);
  const heuristic = view.delayBound(d.bytes);
  const pathAt = (i: number): FoundPath | null => {
    const t = thresholds[i];
    search.clearBlocks();
    return search.find({
      source: d.node,
      target: view.g,
      weight: (u, l) => (state.rb[l] >= t && state.rb[l] - d.rateBps > 0 ? state.hopDelay(u, l, d.bytes) : Infinity),
      heuristic,
      hopBudget: opts.hopBound,
      hopsToTarget: view.hopsToG,
    });
  };
  const meets = (p: FoundPath | null): boolean => p !== null && state.delayIfAllocated(p, d) <= d.deadlineS;
  if (thresholds.length === 0) return null;
  const fastest = pathAt(thresholds.length - 1);
  if (!meets(fastest)) return fastest;
  if (thresholdSearch === "exhaustive") {
    for (let i = 0; i < thresholds.length - 1; i++) {
      const p = pathAt(i);
      if (meets(p)) return p;
    }
    return fastest;
  }
  let lo = 0;
  let hi = thresholds.length - 1;
  let best = fastest;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const p = pathAt(mid);
    if (meets(p)) {
      best = p;
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return best;
}

/**
 * How RA-DBMM finds the largest deadline-meeting threshold: "bisection" (the baseline; it assumes that a lower
 * threshold never fails where a higher one passes, which the allocated delay does not strictly obey, see
 * docs/grid-model.md) or "exhaustive" (every threshold from the widest down; the truly widest path, O(m) path
 * searches per demand).
 */
export type ThresholdSearch = "bisection" | "exhaustive";

/**
 * RA-DBMM (section 8, after P003 ref. 19): to the same min-max-delay generator as QoS-R, each demand
 * takes the widest path (largest bottleneck remaining bandwidth) that meets its deadline, ties to the
 * smaller delay. It checks deadlines with the same queue-aware delay model QT-DR uses, so it is not
 * handicapped on deadlines. With no deadline-meeting path it takes the fastest bandwidth-feasible one.
 */
export function radbmm(ctx: RoutingContext, thresholdSearch: ThresholdSearch = "bisection"): Evaluation {
  const { net, opts, search } = ctx;
  const g = ctx.generatorRanking()[0].node;
  const view = ctx.view(g);
  const state = new LoadState(net, opts, view.reachable);
  const routes: (Path | null)[] = ctx.demands.map(() => null);
  for (const d of orderDemands(view.reachable)) {
    const path = d.node === g ? stayPath(g) : (widestPath(ctx, view, state, d, thresholdSearch) ?? view.fallback(d));
    state.allocate(path, d);
    routes[d.index] = path;
  }
  return evaluateRoutes(net, opts, ctx.demands, g, routes, search);
}
