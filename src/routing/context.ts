import { GridNetwork } from "../grid/network";
import { Demand, Path } from "./demands";
import { GeneratorScore, rankGenerators } from "./election";
import { RoutingOptions } from "./options";
import { hopsFrom, PathSearch } from "./search";
import { LoadState } from "./state";

/** Everything the algorithms share within one routing call. */
export class RoutingContext {
  readonly search: PathSearch;
  private ranking?: GeneratorScore[];
  private views = new Map<number, GeneratorView>();
  /** Wall time of the generator election, ms (0 until it runs). */
  electionMs = 0;

  constructor(
    readonly net: GridNetwork,
    readonly opts: RoutingOptions,
    readonly demands: readonly Demand[],
  ) {
    this.search = new PathSearch(net);
  }

  /** Generator ranking of section 5, computed once per call. */
  generatorRanking(): GeneratorScore[] {
    if (!this.ranking) {
      const start = performance.now();
      this.ranking = rankGenerators(new LoadState(this.net, this.opts, this.demands), this.demands);
      this.electionMs = performance.now() - start;
    }
    return this.ranking;
  }

  /** Precomputed bounds towards generator `g`, built once per generator. */
  view(g: number): GeneratorView {
    let v = this.views.get(g);
    if (!v) {
      v = new GeneratorView(this, g);
      this.views.set(g, v);
    }
    return v;
  }
}

/**
 * Facts about routing towards one generator: which demands can reach it, fewest hops to it, and
 * A* lower bounds of the remaining delay. Delay weights only grow as load is added (queues lengthen,
 * remaining bandwidth shrinks), so distances priced on the unrouted network bound every later state.
 * A hop's delay is a + D * b with a, b independent of the block size D, and
 * min(sum a + D sum b) >= min sum a + D min sum b, so two reverse Dijkstras bound every block size.
 */
export class GeneratorView {
  readonly reachable: Demand[];
  readonly hopsToG: Int32Array;
  /** Lower bounds of the model delay to g: fixed part and per-byte part. */
  private readonly delayA: Float64Array;
  private readonly delayB: Float64Array;
  private staticBounds?: { a: Float64Array; b: Float64Array };

  constructor(
    private readonly ctx: RoutingContext,
    readonly g: number,
  ) {
    const { net, opts, search } = ctx;
    this.reachable = ctx.demands.filter((d) => net.component[d.node] === net.component[g]);
    this.hopsToG = hopsFrom(net, g);
    const base = new LoadState(net, opts, this.reachable);
    this.delayA = search.distances(g, (u, l) => (base.tNode[u] + net.fixedDelayS[l]) * base.retx[u], "reverse");
    this.delayB = search.distances(g, (u, l) => (8 * base.retx[u]) / base.rb[l], "reverse");
  }

  /** A* bound on the model delay from v to g for a block of `bytes`. */
  delayBound(bytes: number): (v: number) => number {
    const { delayA, delayB } = this;
    return (v) => delayA[v] + bytes * delayB[v];
  }

  /** A* bound on the static delay `T_base + L/v + D/B` from v to g. */
  staticBound(bytes: number): (v: number) => number {
    if (!this.staticBounds) {
      const { net, search } = this.ctx;
      this.staticBounds = {
        a: search.distances(this.g, (_u, l) => net.fixedDelayS[l], "reverse"),
        b: search.distances(this.g, (_u, l) => 8 / net.bandwidthBps[l], "reverse"),
      };
    }
    const { a, b } = this.staticBounds;
    return (v) => a[v] + bytes * b[v];
  }

  /** Static delay of one hop for a block of `bytes`: what QoS-R prices and what fallbacks use. */
  staticHop(bytes: number): (u: number, l: number) => number {
    const net = this.ctx.net;
    return (_u, l) => net.fixedDelayS[l] + (bytes * 8) / net.bandwidthBps[l];
  }

  /**
   * The route of last resort when no path satisfies bandwidth and hop bound: the static-delay
   * shortest path, unconstrained. Evaluation then flags the violation; the demand is never dropped.
   */
  fallback(d: Demand): Path {
    this.ctx.search.clearBlocks();
    const found = this.ctx.search.find({
      source: d.node,
      target: this.g,
      weight: this.staticHop(d.bytes),
      heuristic: this.staticBound(d.bytes),
    });
    if (!found) throw new Error(`internal: bus ${d.bus} is in the generator's island but no path was found`);
    return found;
  }
}

/** The trivial route of a source that is itself the generator. */
export function stayPath(node: number): Path {
  return { nodes: [node], links: [] };
}
