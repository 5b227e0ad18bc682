import { DistanceMatrix } from "./distance";

export interface PamResult {
  /** Indices of the k medoids, in the order they were chosen. */
  medoids: number[];
  /** For each point, the position (0..k-1) of its nearest medoid in `medoids`. */
  labels: number[];
  /** Sum over points of the dissimilarity to the nearest medoid. */
  cost: number;
  /** SWAP iterations run (each applies the one best swap). */
  swaps: number;
}

export const PAM_MAX_SWAPS = 1000;

/**
 * Partitioning Around Medoids (Kaufman & Rousseeuw): BUILD picks k medoids greedily, then SWAP
 * applies the medoid/non-medoid exchange that lowers the total dissimilarity most, until none does.
 * Deterministic (ties go to the lowest index), so no seed. Each SWAP round costs O(k n^2) using each
 * point's nearest and second-nearest medoid distances.
 */
export function pam(dist: DistanceMatrix, k: number, maxSwaps = PAM_MAX_SWAPS): PamResult {
  const n = dist.n;
  if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`pam: k must be an integer in 1..${n}, got ${k}`);
  const isMedoid = new Uint8Array(n);
  const medoids: number[] = [];
  const nearest = new Float64Array(n).fill(Infinity);

  // BUILD: each new medoid is the point that lowers the total cost most.
  for (let m = 0; m < k; m++) {
    let best = -1;
    let bestCost = Infinity;
    for (let h = 0; h < n; h++) {
      if (isMedoid[h]) continue;
      let cost = 0;
      for (let j = 0; j < n; j++) cost += Math.min(nearest[j], dist.at(h, j));
      if (cost < bestCost) {
        bestCost = cost;
        best = h;
      }
    }
    medoids.push(best);
    isMedoid[best] = 1;
    for (let j = 0; j < n; j++) nearest[j] = Math.min(nearest[j], dist.at(best, j));
  }

  const assign = (): { labels: number[]; d1: Float64Array; d2: Float64Array; cost: number } => {
    const labels = new Array<number>(n);
    const d1 = new Float64Array(n);
    const d2 = new Float64Array(n);
    let cost = 0;
    for (let j = 0; j < n; j++) {
      let first = Infinity;
      let second = Infinity;
      let label = 0;
      medoids.forEach((m, i) => {
        const d = dist.at(m, j);
        if (d < first) {
          second = first;
          first = d;
          label = i;
        } else if (d < second) second = d;
      });
      labels[j] = label;
      d1[j] = first;
      d2[j] = second;
      cost += first;
    }
    return { labels, d1, d2, cost };
  };

  // SWAP: the change in cost of replacing medoid i by h is a sum over points of their new distance.
  let state = assign();
  let swaps = 0;
  const tolerance = 1e-12 * Math.max(1, state.cost);
  while (swaps < maxSwaps) {
    let bestDelta = -tolerance;
    let bestI = -1;
    let bestH = -1;
    for (let i = 0; i < k; i++) {
      for (let h = 0; h < n; h++) {
        if (isMedoid[h]) continue;
        let delta = 0;
        for (let j = 0; j < n; j++) {
          const dh = dist.at(h, j);
          const without = state.labels[j] === i ? state.d2[j] : state.d1[j];
          delta += Math.min(dh, without) - state.d1[j];
        }
        if (delta < bestDelta) {
          bestDelta = delta;
          bestI = i;
          bestH = h;
        }
      }
    }
    if (bestI < 0) break;
    isMedoid[medoids[bestI]] = 0;
    isMedoid[bestH] = 1;
    medoids[bestI] = bestH;
    state = assign();
    swaps++;
  }
  return { medoids, labels: state.labels, cost: state.cost, swaps };
}
