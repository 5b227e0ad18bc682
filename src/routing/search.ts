import { GridNetwork } from "../grid/network";
import { Path } from "./demands";
import { MinHeap } from "./heap";

/** Cost of sending over link `l` from node `u` to node `v`; Infinity forbids the arc. */
export type ArcWeight = (u: number, l: number, v: number) => number;

/** Hop count standing for "cannot reach". */
export const UNREACHABLE_HOPS = 0x3fffffff;

export interface SearchRequest {
  source: number;
  target: number;
  weight: ArcWeight;
  /** A consistent lower bound of the remaining cost to `target` (A*); zero when absent. */
  heuristic?: (v: number) => number;
  /** Most hops the path may take; Infinity (the default) means unbounded. */
  hopBudget?: number;
  /** Fewest hops from each node to `target` in the whole network, used to prune under a hop budget. */
  hopsToTarget?: Int32Array;
}

export interface FoundPath extends Path {
  cost: number;
}

/**
 * Shortest paths on a GridNetwork with blocked nodes and links (for Yen), an optional A* lower
 * bound, and an exact hop budget. Under a budget it is a label-setting search over (node, hops):
 * labels pop in cost order, so a later label at the same node only matters when it used fewer hops.
 * All scratch space is allocated once and reset by stamps, so a spur search costs only what it visits.
 */
export class PathSearch {
  private readonly blockedNode: Int32Array;
  private readonly blockedLink: Int32Array;
  private blockStamp = 1;
  private readonly settledAt: Int32Array;
  private readonly settledHops: Int32Array;
  private readonly bestAt: Int32Array;
  private readonly bestCost: Float64Array;
  private stamp = 0;
  private labelNode = new Int32Array(256);
  private labelHops = new Int32Array(256);
  private labelParent = new Int32Array(256);
  private labelLink = new Int32Array(256);
  private labelCost = new Float64Array(256);
  private labels = 0;
  private readonly heap = new MinHeap();

  constructor(readonly net: GridNetwork) {
    this.blockedNode = new Int32Array(net.n);
    this.blockedLink = new Int32Array(net.m);
    this.settledAt = new Int32Array(net.n);
    this.settledHops = new Int32Array(net.n);
    this.bestAt = new Int32Array(net.n);
    this.bestCost = new Float64Array(net.n);
  }

  /** Unblocks every node and link. */
  clearBlocks(): void {
    this.blockStamp++;
  }

  blockNode(v: number): void {
    this.blockedNode[v] = this.blockStamp;
  }

  blockLink(l: number): void {
    this.blockedLink[l] = this.blockStamp;
  }

  private addLabel(node: number, hops: number, parent: number, link: number, cost: number): number {
    if (this.labels === this.labelNode.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.labelNode = grow(this.labelNode);
      this.labelHops = grow(this.labelHops);
      this.labelParent = grow(this.labelParent);
      this.labelLink = grow(this.labelLink);
      this.labelCost = grow(this.labelCost);
    }
    const i = this.labels++;
    this.labelNode[i] = node;
    this.labelHops[i] = hops;
    this.labelParent[i] = parent;
    this.labelLink[i] = link;
    this.labelCost[i] = cost;
    return i;
  }

  private pathOf(label: number): FoundPath {
    const nodes: number[] = [];
    const links: number[] = [];
    const cost = this.labelCost[label];
    for (let i = label; i >= 0; i = this.labelParent[i]) {
      nodes.push(this.labelNode[i]);
      if (this.labelLink[i] >= 0) links.push(this.labelLink[i]);
    }
    return { nodes: nodes.reverse(), links: links.reverse(), cost };
  }

  /** The cheapest path from source to target that avoids blocked nodes and links, or null. */
  find(req: SearchRequest): FoundPath | null {
    const { source, target, weight, heuristic, hopsToTarget } = req;
    const budget = req.hopBudget ?? Infinity;
    const hopAware = Number.isFinite(budget);
    if (hopAware && hopsToTarget && hopsToTarget[source] > budget) return null;
    const { adjStart, adjNode, adjLink } = this.net;
    const stamp = ++this.stamp;
    this.labels = 0;
    this.heap.clear();
    this.heap.push(heuristic ? heuristic(source) : 0, this.addLabel(source, 0, -1, -1, 0));
    while (this.heap.size > 0) {
      const label = this.heap.pop();
      const v = this.labelNode[label];
      const hops = this.labelHops[label];
      if (this.settledAt[v] === stamp && (!hopAware || hops >= this.settledHops[v])) continue;
      this.settledAt[v] = stamp;
      this.settledHops[v] = hops;
      if (v === target) return this.pathOf(label);
      if (hops >= budget) continue;
      const cost = this.labelCost[label];
      for (let k = adjStart[v]; k < adjStart[v + 1]; k++) {
        const w = adjNode[k];
        const l = adjLink[k];
        if (this.blockedNode[w] === this.blockStamp || this.blockedLink[l] === this.blockStamp) continue;
        if (this.settledAt[w] === stamp && (!hopAware || hops + 1 >= this.settledHops[w])) continue;
        if (hopAware && hopsToTarget && hops + 1 + hopsToTarget[w] > budget) continue;
        const c = weight(v, l, w);
        if (!(c < Infinity)) continue;
        const next = cost + c;
        if (!hopAware) {
          if (this.bestAt[w] === stamp && this.bestCost[w] <= next) continue;
          this.bestAt[w] = stamp;
          this.bestCost[w] = next;
        }
        this.heap.push(next + (heuristic ? heuristic(w) : 0), this.addLabel(w, hops + 1, label, l, next));
      }
    }
    return null;
  }

  /**
   * Single-root Dijkstra over the whole network (ignores blocks). Forward gives the cost from `root`
   * to every node; reverse gives the cost from every node to `root` (arc u->v still priced as weight(u, l, v)).
   */
  distances(root: number, weight: ArcWeight, direction: "forward" | "reverse"): Float64Array {
    const { n, adjStart, adjNode, adjLink } = this.net;
    const dist = new Float64Array(n).fill(Infinity);
    const done = new Uint8Array(n);
    const heap = this.heap;
    heap.clear();
    dist[root] = 0;
    heap.push(0, root);
    const forward = direction === "forward";
    while (heap.size > 0) {
      const d = heap.peekKey();
      const v = heap.pop();
      if (done[v]) continue;
      done[v] = 1;
      for (let k = adjStart[v]; k < adjStart[v + 1]; k++) {
        const w = adjNode[k];
        if (done[w]) continue;
        const c = forward ? weight(v, adjLink[k], w) : weight(w, adjLink[k], v);
        const next = d + c;
        if (next < dist[w]) {
          dist[w] = next;
          heap.push(next, w);
        }
      }
    }
    return dist;
  }
}

/**
 * Forward single-root Dijkstra when every arc costs `arcA[k] + bytes * arcB[k]` (k indexes the CSR
 * arcs, adjNode/adjLink): the delay model's shape, on flat arrays so the election's one search per
 * source stays fast on 10k buses. Writes into `dist` (length n) and returns it.
 */
export function linearArcDistances(
  net: GridNetwork,
  root: number,
  arcA: Float64Array,
  arcB: Float64Array,
  bytes: number,
  dist: Float64Array,
  heap: MinHeap = new MinHeap(),
): Float64Array {
  const { adjStart, adjNode } = net;
  dist.fill(Infinity);
  heap.clear();
  dist[root] = 0;
  heap.push(0, root);
  while (heap.size > 0) {
    const d = heap.peekKey();
    const v = heap.pop();
    if (d > dist[v]) continue;
    for (let k = adjStart[v]; k < adjStart[v + 1]; k++) {
      const next = d + arcA[k] + bytes * arcB[k];
      const w = adjNode[k];
      if (next < dist[w]) {
        dist[w] = next;
        heap.push(next, w);
      }
    }
  }
  return dist;
}

/** Fewest hops from `root` to every node (UNREACHABLE_HOPS across islands). */
export function hopsFrom(net: GridNetwork, root: number): Int32Array {
  const hops = new Int32Array(net.n).fill(UNREACHABLE_HOPS);
  const queue = new Int32Array(net.n);
  let head = 0;
  let tail = 0;
  hops[root] = 0;
  queue[tail++] = root;
  while (head < tail) {
    const u = queue[head++];
    for (let k = net.adjStart[u]; k < net.adjStart[u + 1]; k++) {
      const v = net.adjNode[k];
      if (hops[v] === UNREACHABLE_HOPS) {
        hops[v] = hops[u] + 1;
        queue[tail++] = v;
      }
    }
  }
  return hops;
}
