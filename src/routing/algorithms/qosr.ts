import { orderDemands, Path } from "../demands";
import { RoutingContext, stayPath } from "../context";
import { Evaluation, evaluateRoutes } from "../evaluate";
import { LoadState } from "../state";

/**
 * QoS-R (section 8, after P003 ref. 18): to the min-max-delay generator, each demand takes the
 * Dijkstra-shortest path on the static delay `T_base + L/v + D/B` over links that still have the
 * bandwidth for it, within the hop bound. It tracks bandwidth but does no balancing and ignores queues.
 */
export function qosr(ctx: RoutingContext): Evaluation {
  const { net, opts, search } = ctx;
  const g = ctx.generatorRanking()[0].node;
  const view = ctx.view(g);
  const state = new LoadState(net, opts, view.reachable);
  const routes: (Path | null)[] = ctx.demands.map(() => null);
  for (const d of orderDemands(view.reachable)) {
    let path: Path | null = d.node === g ? stayPath(g) : null;
    if (!path) {
      const hop = view.staticHop(d.bytes);
      search.clearBlocks();
      path =
        search.find({
          source: d.node,
          target: g,
          weight: (u, l) => (state.rb[l] - d.rateBps > 0 ? hop(u, l) : Infinity),
          heuristic: view.staticBound(d.bytes),
          hopBudget: opts.hopBound,
          hopsToTarget: view.hopsToG,
        }) ?? view.fallback(d);
    }
    state.allocate(path, d);
    routes[d.index] = path;
  }
  return evaluateRoutes(net, opts, ctx.demands, g, routes, search);
}
