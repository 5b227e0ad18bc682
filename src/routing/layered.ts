import { GridNetwork } from "../grid/network";
import { Demand } from "./demands";
import { RoutingOptions } from "./options";
import { MinHeap } from "./heap";
import { LoadState } from "./state";

/**
 * Per-hop delay lower bounds valid for any routing towards a generator: every hop is priced on the
 * pre-routing load (each source's own packets only). Routed flows only lengthen queues, raise losses
 * and take bandwidth, so a hop's delay under any final load is at least `a + bytes * b`.
 */
export interface HopLowerBounds {
  /** Tail node of each CSR arc (head is `net.adjNode[c]`, link `net.adjLink[c]`). */
  arcFrom: Int32Array;
  /** Fixed part of the hop delay per CSR arc, s (Infinity when the link has no bandwidth). */
  a: Float64Array;
  /** Per-byte part per CSR arc, s/byte. */
  b: Float64Array;
  /** Remaining bandwidth per link before routing (bandwidth minus background), bit/s. */
  rb0: Float64Array;
}

export function hopLowerBounds(net: GridNetwork, opts: RoutingOptions, senders: readonly Demand[]): HopLowerBounds {
  const base = new LoadState(net, opts, senders);
  const arcs = net.adjNode.length;
  const arcFrom = new Int32Array(arcs);
  const a = new Float64Array(arcs);
  const b = new Float64Array(arcs);
  for (let u = 0; u < net.n; u++) {
    for (let c = net.adjStart[u]; c < net.adjStart[u + 1]; c++) {
      const l = net.adjLink[c];
      arcFrom[c] = u;
      const rb = base.rb[l];
      a[c] = rb > 0 ? (base.tNode[u] + net.fixedDelayS[l]) * base.retx[u] : Infinity;
      b[c] = rb > 0 ? (8 * base.retx[u]) / rb : 0;
    }
  }
  return { arcFrom, a, b, rb0: Float64Array.from(base.rb) };
}

/**
 * One demand's feasible region towards generator g, by the lower bounds: a path is admissible when it
 * has at most Hop_br hops and the sum of its hop lower bounds meets the deadline. Every path a routing
 * with zero deadline and hop violations can use is admissible, so optimising over admissible paths
 * bounds every such routing from below.
 */
export interface DemandRegion {
  demand: Demand;
  /** Hop delay lower bound of each CSR arc for this demand's block, s. */
  arcDelay: Float64Array;
  /** Fastest way from every node to g by the bounds, s. */
  toG: Float64Array;
  hopsToG: Int32Array;
  hopBound: number;
  deadlineS: number;
}

const DEADLINE_SLACK = 1 + 1e-9;

/** The demand's region, or null when not even the bounds let it reach g in time (no feasible routing). */
export function demandRegion(
  net: GridNetwork,
  opts: RoutingOptions,
  lb: HopLowerBounds,
  g: number,
  hopsToG: Int32Array,
  d: Demand,
): DemandRegion | null {
  const arcDelay = new Float64Array(net.adjNode.length);
  for (let c = 0; c < arcDelay.length; c++) arcDelay[c] = lb.a[c] + d.bytes * lb.b[c];
  const toG = reverseDistances(net, arcDelay, g);
  const deadlineS = d.deadlineS * DEADLINE_SLACK;
  if (hopsToG[d.node] > opts.hopBound || !(toG[d.node] <= deadlineS)) return null;
  return { demand: d, arcDelay, toG, hopsToG, hopBound: opts.hopBound, deadlineS };
}

export interface PricedPath {
  nodes: number[];
  links: number[];
  /** Cost of the path under the link costs. */
  cost: number;
  /** A valid lower bound on the cost of every admissible path (equals `cost` when the search was exhaustive). */
  lowerBound: number;
}

/**
 * Cheapest admissible simple path from the demand's source to g under per-link costs that may be
 * negative (a gradient): depth-first branch and bound. The pruning bound is the cheapest walk of at
 * most the remaining hops (a DP; exact for walks, so a valid bound for simple paths). When the search
 * exceeds `maxExpansions` it stops and reports the walk bound as its lower bound, which stays valid.
 */
export function cheapestAdmissiblePath(
  net: GridNetwork,
  region: DemandRegion,
  g: number,
  linkCost: Float64Array,
  maxExpansions: number,
): PricedPath | null {
  const n = net.n;
  const H = region.hopBound;
  // walk[k * n + v]: cheapest walk from v to g of at most k hops.
  const walk = new Float64Array((H + 1) * n).fill(Infinity);
  walk[g] = 0;
  for (let k = 1; k <= H; k++) {
    const prev = (k - 1) * n;
    const cur = k * n;
    for (let v = 0; v < n; v++) {
      let best = walk[prev + v];
      if (v !== g) {
        for (let c = net.adjStart[v]; c < net.adjStart[v + 1]; c++) {
          const t = linkCost[net.adjLink[c]] + walk[prev + net.adjNode[c]];
          if (t < best) best = t;
        }
      }
      walk[cur + v] = best;
    }
  }
  const s = region.demand.node;
  const walkBound = walk[H * n + s];
  if (walkBound === Infinity) return null;
  const visited = new Uint8Array(n);
  const nodes: number[] = [s];
  const links: number[] = [];
  let best: { nodes: number[]; links: number[]; cost: number } | null = null;
  let expansions = 0;
  let exhausted = true;
  const dfs = (v: number, hops: number, delay: number, cost: number): void => {
    if (v === g) {
      if (!best || cost < best.cost) best = { nodes: [...nodes], links: [...links], cost };
      return;
    }
    if (++expansions > maxExpansions) {
      exhausted = false;
      return;
    }
    const left = H - hops;
    const order: [number, number][] = [];
    for (let c = net.adjStart[v]; c < net.adjStart[v + 1]; c++) {
      const w = net.adjNode[c];
      if (visited[w] || region.hopsToG[w] > left - 1) continue;
      const t = delay + region.arcDelay[c];
      if (!(t + region.toG[w] <= region.deadlineS)) continue;
      const optimistic = cost + linkCost[net.adjLink[c]] + walk[(left - 1) * n + w];
      if (best && optimistic >= best.cost) continue;
      order.push([optimistic, c]);
    }
    order.sort((a, b) => a[0] - b[0]);
    for (const [optimistic, c] of order) {
      if (best && optimistic >= best.cost) break;
      const w = net.adjNode[c];
      visited[w] = 1;
      nodes.push(w);
      links.push(net.adjLink[c]);
      dfs(w, hops + 1, delay + region.arcDelay[c], cost + linkCost[net.adjLink[c]]);
      nodes.pop();
      links.pop();
      visited[w] = 0;
      if (!exhausted) return;
    }
  };
  visited[s] = 1;
  dfs(s, 0, 0, 0);
  const found = best as { nodes: number[]; links: number[]; cost: number } | null;
  if (!found) return exhausted ? null : { nodes: [], links: [], cost: Infinity, lowerBound: walkBound };
  return { ...found, lowerBound: exhausted ? found.cost : walkBound };
}

/** Dijkstra towards `root`: cost of the fastest way from every node to root, arc c priced `cost[c]`. */
function reverseDistances(net: GridNetwork, cost: Float64Array, root: number): Float64Array {
  const dist = new Float64Array(net.n).fill(Infinity);
  const done = new Uint8Array(net.n);
  const heap = new MinHeap();
  dist[root] = 0;
  heap.push(0, root);
  while (heap.size > 0) {
    const v = heap.pop();
    if (done[v]) continue;
    done[v] = 1;
    for (let c = net.adjStart[v]; c < net.adjStart[v + 1]; c++) {
      const w = net.adjNode[c];
      if (done[w]) continue;
      const nd = dist[v] + cost[arcBetween(net, w, v, net.adjLink[c])];
      if (nd < dist[w]) {
        dist[w] = nd;
        heap.push(nd, w);
      }
    }
  }
  return dist;
}

/** CSR index of the arc u->v over link l. */
export function arcBetween(net: GridNetwork, u: number, v: number, l: number): number {
  for (let c = net.adjStart[u]; c < net.adjStart[u + 1]; c++)
    if (net.adjNode[c] === v && net.adjLink[c] === l) return c;
  throw new Error(`internal: no arc ${u}->${v} over link ${l}`);
}
