import { GridNetwork } from "../grid/network";
import { Demand } from "./demands";
import { MinHeap } from "./heap";
import { linearArcDistances } from "./search";
import { LoadState } from "./state";

/** One node's standing as a block generator. */
export interface GeneratorScore {
  node: number;
  /** Sources that cannot reach this node at all (other islands). */
  unreachable: number;
  /** Worst collection delay from the sources that can reach it, s. */
  maxDelayS: number;
}

/** Orders generator scores: fewest unreachable sources, then smallest worst delay, then lowest bus id. */
function compareScores(net: GridNetwork, a: GeneratorScore, b: GeneratorScore): number {
  return a.unreachable - b.unreachable || a.maxDelayS - b.maxDelayS || net.busIds[a.node] - net.busIds[b.node];
}

/**
 * Generator election (ALGORITHMS.md section 5): every node ranked by `max_s T_s->g` on the
 * pre-routing load, with each source's delay-shortest path priced for its own block size. Nodes that
 * some sources cannot reach rank after those that all can, so on a split network the generator
 * sits in the island holding the most sources. Costs one Dijkstra per source.
 */
export function rankGenerators(state: LoadState, demands: readonly Demand[]): GeneratorScore[] {
  const { net } = state;
  // Hop delay = arcA + D * arcB on the pre-routing load (section 4), per CSR arc.
  const arcA = new Float64Array(net.adjNode.length);
  const arcB = new Float64Array(net.adjNode.length);
  for (let v = 0; v < net.n; v++) {
    for (let k = net.adjStart[v]; k < net.adjStart[v + 1]; k++) {
      const l = net.adjLink[k];
      const rb = state.rb[l];
      arcA[k] = rb > 0 ? (state.tNode[v] + net.fixedDelayS[l]) * state.retx[v] : Infinity;
      arcB[k] = rb > 0 ? (8 * state.retx[v]) / rb : 0;
    }
  }
  const maxDelay = new Float64Array(net.n);
  const unreachable = new Int32Array(net.n);
  const dist = new Float64Array(net.n);
  const heap = new MinHeap();
  for (const d of demands) {
    linearArcDistances(net, d.node, arcA, arcB, d.bytes, dist, heap);
    for (let g = 0; g < net.n; g++) {
      const t = dist[g];
      if (t === Infinity) unreachable[g]++;
      else if (t > maxDelay[g]) maxDelay[g] = t;
    }
  }
  const scores: GeneratorScore[] = [];
  for (let g = 0; g < net.n; g++) scores.push({ node: g, unreachable: unreachable[g], maxDelayS: maxDelay[g] });
  return scores.sort((a, b) => compareScores(net, a, b));
}

/** SP's fixed generator (section 8): the bus with the most links, ties to the lowest bus id. */
export function largestDegreeNode(net: GridNetwork): number {
  let best = 0;
  for (let i = 1; i < net.n; i++) {
    const deg = net.adjStart[i + 1] - net.adjStart[i];
    const bestDeg = net.adjStart[best + 1] - net.adjStart[best];
    if (deg > bestDeg || (deg === bestDeg && net.busIds[i] < net.busIds[best])) best = i;
  }
  return best;
}
