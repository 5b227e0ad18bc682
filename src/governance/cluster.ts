import { ClusterMethod } from "./cluster-method";
import { DistanceMatrix } from "./distance";
import { kmeansRestarts } from "./kmeans";
import { pam } from "./pam";
import { silhouette } from "./silhouette";

/** One clustering at a given k. Clusters are numbered 0..k-1 by decreasing size. */
export interface Clustering {
  k: number;
  labels: number[];
  /** Centroids (k-means) or medoid points (PAM), in the clustering space. */
  centres: number[][];
  /** Row index of each cluster's medoid (k-medoids only). */
  medoidIndices?: number[];
  sizes: number[];
  /** Mean silhouette and each point's value. */
  silhouette: number;
  pointSilhouettes: number[];
  /** Objective: k-means inertia (sum of squared distances) or PAM cost (sum of distances). */
  cost: number;
}

/** Parses "2..8", "4" or "2,3,5" into sorted distinct integers >= 2. */
export function parseKRange(text: string): number[] {
  const range = /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(text);
  let ks: number[];
  if (range) {
    const [lo, hi] = [Number(range[1]), Number(range[2])];
    if (lo > hi) throw new Error(`--k ${text}: the range is empty (${lo} > ${hi})`);
    ks = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  } else if (/^\s*\d+(\s*,\s*\d+)*\s*$/.test(text)) {
    ks = text.split(",").map((s) => Number(s.trim()));
  } else {
    throw new Error(`--k "${text}": expected a range like 2..8, a number, or a list like 2,4,6`);
  }
  if (ks.some((k) => k < 2)) throw new Error(`--k ${text}: k must be at least 2 (the silhouette needs two clusters)`);
  return [...new Set(ks)].sort((a, b) => a - b);
}

/** Renumbers clusters by decreasing size (ties by first appearance) so output is stable. */
function bySize(labels: readonly number[], k: number): number[] {
  const sizes = new Array<number>(k).fill(0);
  labels.forEach((l) => sizes[l]++);
  const order = Array.from({ length: k }, (_, c) => c).sort((a, b) => sizes[b] - sizes[a] || a - b);
  const rank = new Array<number>(k);
  order.forEach((c, r) => (rank[c] = r));
  return rank;
}

/** Clusters the points at one k with k-means (seeded restarts) or PAM (deterministic). */
export function clusterAt(
  points: readonly (readonly number[])[],
  dist: DistanceMatrix,
  k: number,
  method: ClusterMethod,
  seed: number,
): Clustering {
  if (k > points.length) throw new Error(`cannot make ${k} clusters from ${points.length} days`);
  let labels: number[];
  let centres: number[][];
  let medoids: number[] | undefined;
  let cost: number;
  if (method === "kmeans") {
    const r = kmeansRestarts(points, k, seed);
    [labels, centres, cost] = [r.labels, r.centroids, r.inertia];
  } else {
    const r = pam(dist, k);
    [labels, medoids, cost] = [r.labels, r.medoids, r.cost];
    centres = r.medoids.map((m) => [...points[m]]);
  }
  const rank = bySize(labels, k);
  const relabelled = labels.map((l) => rank[l]);
  const reorder = <T>(xs: T[]): T[] => {
    const out = new Array<T>(k);
    xs.forEach((x, c) => (out[rank[c]] = x));
    return out;
  };
  const sizes = new Array<number>(k).fill(0);
  relabelled.forEach((l) => sizes[l]++);
  const s = silhouette(dist, relabelled);
  return {
    k,
    labels: relabelled,
    centres: reorder(centres),
    ...(medoids && { medoidIndices: reorder(medoids) }),
    sizes,
    silhouette: s.mean,
    pointSilhouettes: s.values,
    cost,
  };
}

/** The clustering with the highest mean silhouette (ties: the smaller k). */
export function bestBySilhouette(sweep: readonly Clustering[]): Clustering {
  return sweep.reduce((best, c) => (c.silhouette > best.silhouette ? c : best));
}
