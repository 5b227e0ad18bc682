import { createRng } from "../../common/rng";
import { Demand, orderDemands, Path } from "../demands";
import { GeneratorView, RoutingContext } from "../context";
import { Evaluation, evaluateRoutes } from "../evaluate";
import { LoadState } from "../state";
import { kShortestPaths } from "../yen";
import { cheapestAdmissiblePath, DemandRegion, demandRegion, hopLowerBounds } from "../layered";
import { demandWeight, qtdrRoutes } from "./qtdr";

/** Tuning of the local-search optimiser (not part of P003: an extra algorithm, "QT-DR+LS"). */
export interface LocalSearchOptions {
  /** Generators tried, best first by the election (QT-DR itself tries `generatorCandidates`). */
  generators: number;
  /** Full passes over the demands; a pass that moves nothing ends the search early. */
  maxRounds: number;
  /** Node expansions of one balance-priced path search (exact depth-first branch and bound below it). */
  pricingExpansions: number;
  /** Generators, best by their local optimum, that then get the iterated local search. */
  ilsGenerators: number;
  /** Kicks of the iterated local search per generator: re-route a few demands on noisy prices, descend again. */
  kicks: number;
  /** Demands re-routed per kick. */
  kickSize: number;
  /** Seed of the kicks (the search is deterministic for a seed). */
  seed: number;
}

export const DEFAULT_LOCAL_SEARCH: Readonly<LocalSearchOptions> = Object.freeze({
  generators: Infinity,
  maxRounds: 20,
  pricingExpansions: 20_000,
  ilsGenerators: 2,
  kicks: 300,
  kickSize: 3,
  seed: 1,
});

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
 * Balance price of each link for a demand of `rateBps` (first-order change of m x variance of RB when
 * the demand is added): `rate + 2 (mean RB - RB_l)`. Lightly loaded links have a negative price, so
 * the cheapest admissible path may be long: that is where the balance-optimal routings are.
 */
function balancePrices(state: LoadState, rateBps: number): Float64Array {
  const { m } = state.net;
  let mean = 0;
  for (let l = 0; l < m; l++) mean += state.rb[l];
  mean /= m;
  const price = new Float64Array(m);
  for (let l = 0; l < m; l++) price[l] = state.rb[l] - rateBps > 0 ? (rateBps + 2 * (mean - state.rb[l])) / 1e6 : 1e12;
  return price;
}

/**
 * Rip-up and re-route: each demand in turn is released and re-placed on the path with the smallest
 * LB_net after allocation, chosen among Yen's K paths by marginal balance cost (2 x link load + own
 * rate per hop, the first-order change of the sum of squares), Yen's K paths by delay, and the
 * cheapest admissible simple path (hop bound, deadline by per-hop lower bounds) under the balance
 * prices, found by exact branch and bound, so paths of any length up to the hop bound compete.
 * A move is kept only if it lowers LB_net and every demand still meets its deadline.
 */
function improve(
  ctx: RoutingContext,
  view: GeneratorView,
  routes: (Path | null)[],
  ls: LocalSearchOptions,
  regions: Map<number, DemandRegion>,
  withYen = true,
): LoadState {
  const { net, opts, search } = ctx;
  const state = loadedState(ctx, view, routes);
  const movable = orderDemands(view.reachable).filter((d) => d.node !== view.g);
  let bRef = 0;
  for (let l = 0; l < net.m; l++) bRef = Math.max(bRef, net.bandwidthBps[l]);
  for (let round = 0; round < ls.maxRounds; round++) {
    let moved = false;
    for (const d of movable) {
      const current = routes[d.index]!;
      state.release(current, d);
      const base = { source: d.node, target: view.g, hopBudget: opts.hopBound, hopsToTarget: view.hopsToG };
      const balancePaths = !withYen
        ? []
        : kShortestPaths(
            search,
            {
              ...base,
              weight: (_u, l) => (state.rb[l] - d.rateBps > 0 ? 2 * (bRef - state.rb[l]) + d.rateBps : Infinity),
              heuristic: (v) => d.rateBps * view.hopsToG[v],
            },
            opts.kPaths,
          );
      const delayPaths = !withYen
        ? []
        : kShortestPaths(
            search,
            { ...base, weight: demandWeight(state, d), heuristic: view.delayBound(d.bytes) },
            opts.kPaths,
          );
      const candidates: Path[] = [...balancePaths, ...delayPaths];
      const region = regions.get(d.index);
      if (region) {
        const priced = cheapestAdmissiblePath(
          net,
          region,
          view.g,
          balancePrices(state, d.rateBps),
          ls.pricingExpansions,
        );
        if (priced && priced.links.length > 0) candidates.push({ nodes: priced.nodes, links: priced.links });
      }
      const currentLb = state.lbNetIfAllocated(current.links, d.rateBps);
      let best = current;
      let bestLb = currentLb;
      for (const p of candidates) {
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
  return state;
}

/** The load of a routing towards view.g. */
function loadedState(ctx: RoutingContext, view: GeneratorView, routes: readonly (Path | null)[]): LoadState {
  const state = new LoadState(ctx.net, ctx.opts, view.reachable);
  for (const d of view.reachable) if (d.node !== view.g) state.allocate(routes[d.index]!, d);
  return state;
}

/**
 * Iterated local search from a local optimum: each kick re-routes `kickSize` random demands on the
 * cheapest admissible path under randomly scaled balance prices (a deadline-feasible move even if it
 * worsens LB_net), then descends again; the result stands if it lowers LB_net with every deadline met.
 */
function iterate(
  ctx: RoutingContext,
  view: GeneratorView,
  routes: (Path | null)[],
  ls: LocalSearchOptions,
  regions: Map<number, DemandRegion>,
): void {
  const rng = createRng(ls.seed).fork(`ils-${view.g}`);
  const movable = orderDemands(view.reachable).filter((d) => d.node !== view.g && regions.has(d.index));
  if (movable.length === 0) return;
  let bestLb = loadedState(ctx, view, routes).lbNet();
  for (let kick = 0; kick < ls.kicks; kick++) {
    const trial = [...routes];
    const state = loadedState(ctx, view, trial);
    for (let j = 0; j < ls.kickSize; j++) {
      const d = movable[rng.int(0, movable.length - 1)];
      const old = trial[d.index]!;
      state.release(old, d);
      // Noisy prices, and the current path's links made dear, so the demand must leave its path.
      const prices = balancePrices(state, d.rateBps).map((p) => p * (0.25 + 1.5 * rng.next()));
      let spread = 0;
      for (const p of prices) if (p < 1e12) spread = Math.max(spread, Math.abs(p));
      for (const l of old.links) prices[l] += spread;
      const p = cheapestAdmissiblePath(ctx.net, regions.get(d.index)!, view.g, prices, ls.pricingExpansions);
      const path = p && p.links.length > 0 && state.delayIfAllocated(p, d) <= d.deadlineS ? p : trial[d.index]!;
      state.allocate(path, d);
      trial[d.index] = { nodes: path.nodes, links: path.links };
    }
    if (!allMeetDeadlines(state, movable, trial)) continue;
    const after = improve(ctx, view, trial, ls, regions, false);
    const lb = after.lbNet();
    if (lb < bestLb - MIN_GAIN_MBPS && allMeetDeadlines(after, movable, trial)) {
      bestLb = lb;
      for (let i = 0; i < routes.length; i++) routes[i] = trial[i];
    }
  }
}

/** Each demand's admissible region towards g (null entries: not even the bounds reach g in time). */
function regionsFor(ctx: RoutingContext, view: GeneratorView): Map<number, DemandRegion> {
  const hl = hopLowerBounds(ctx.net, ctx.opts, view.reachable);
  const out = new Map<number, DemandRegion>();
  for (const d of view.reachable) {
    if (d.node === view.g) continue;
    const r = demandRegion(ctx.net, ctx.opts, hl, view.g, view.hopsToG, d);
    if (r) out.set(d.index, r);
  }
  return out;
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
  // Screen every generator with a cheap descent (priced paths only), then search the best ones hard.
  const local = candidates.map(({ node }) => {
    const view = ctx.view(node);
    const routes = qtdrRoutes(ctx, view);
    const regions = regionsFor(ctx, view);
    improve(ctx, view, routes, ls, regions, false);
    return { view, routes, regions, ev: evaluateRoutes(ctx.net, ctx.opts, ctx.demands, node, routes, ctx.search) };
  });
  local.sort((a, b) => (better(a.ev, b.ev) ? -1 : better(b.ev, a.ev) ? 1 : 0));
  let best = local[0].ev;
  for (const { view, routes, regions } of local.slice(0, ls.ilsGenerators)) {
    improve(ctx, view, routes, ls, regions);
    iterate(ctx, view, routes, ls, regions);
    const ev = evaluateRoutes(ctx.net, ctx.opts, ctx.demands, view.g, routes, ctx.search);
    if (better(ev, best)) best = ev;
  }
  return best;
}
