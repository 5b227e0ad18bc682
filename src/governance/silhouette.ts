import { DistanceMatrix } from "./distance";

export interface Silhouette {
  /** Mean silhouette over all points, in [-1, 1]. */
  mean: number;
  /** s(i) per point. */
  values: number[];
}

/**
 * Silhouette (Rousseeuw 1987): s(i) = (b - a) / max(a, b), with a the mean distance to the other
 * members of i's cluster and b the smallest mean distance to another cluster. A point alone in its
 * cluster gets s = 0, the usual convention. Needs at least two non-empty clusters.
 */
export function silhouette(dist: DistanceMatrix, labels: readonly number[]): Silhouette {
  const n = dist.n;
  if (labels.length !== n) throw new Error(`silhouette: ${labels.length} labels for ${n} points`);
  const k = Math.max(...labels) + 1;
  const sizes = new Array<number>(k).fill(0);
  labels.forEach((l) => sizes[l]++);
  if (sizes.filter((s) => s > 0).length < 2) throw new Error("silhouette needs at least two non-empty clusters");
  const values = new Array<number>(n);
  const sums = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    for (let j = 0; j < n; j++) sums[labels[j]] += dist.at(i, j);
    const own = labels[i];
    if (sizes[own] === 1) {
      values[i] = 0;
      continue;
    }
    const a = sums[own] / (sizes[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c] > 0) b = Math.min(b, sums[c] / sizes[c]);
    values[i] = a === b ? 0 : (b - a) / Math.max(a, b);
  }
  return { mean: values.reduce((s, v) => s + v, 0) / n, values };
}
