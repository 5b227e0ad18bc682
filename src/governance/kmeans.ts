import { kmeans } from "ml-kmeans";
import { createRng } from "../common/rng";
import { squaredEuclidean } from "./distance";

export interface KmeansResult {
  /** Cluster (0..k-1) of each point: its nearest final centroid. */
  labels: number[];
  centroids: number[][];
  /** Sum of squared distances of points to their centroid (the k-means objective). */
  inertia: number;
  /** Lloyd iterations of the kept run, and whether it converged. */
  iterations: number;
  converged: boolean;
}

/** Independent k-means++ starts; the lowest-inertia run is kept (Lloyd's algorithm finds local optima). */
export const KMEANS_RESTARTS = 10;
export const KMEANS_MAX_ITERATIONS = 300;

/** k-means (ml-kmeans, k-means++ init) with seeded restarts. */
export function kmeansRestarts(
  points: readonly (readonly number[])[],
  k: number,
  seed: number,
  restarts = KMEANS_RESTARTS,
): KmeansResult {
  if (!Number.isInteger(k) || k < 1 || k > points.length) {
    throw new Error(`kmeans: k must be an integer in 1..${points.length}, got ${k}`);
  }
  const rng = createRng(seed);
  const data = points.map((p) => [...p]);
  let best: KmeansResult | undefined;
  for (let r = 0; r < restarts; r++) {
    const run = kmeans(data, k, {
      seed: rng.int(1, 2 ** 31 - 1),
      initialization: "kmeans++",
      maxIterations: KMEANS_MAX_ITERATIONS,
    });
    const labels = data.map((p) => nearestIndex(run.centroids, p));
    const inertia = data.reduce((s, p, i) => s + squaredEuclidean(p, run.centroids[labels[i]]), 0);
    if (!best || inertia < best.inertia) {
      best = { labels, centroids: run.centroids, inertia, iterations: run.iterations, converged: run.converged };
    }
  }
  return best!;
}

function nearestIndex(centres: readonly (readonly number[])[], p: readonly number[]): number {
  let best = 0;
  let bestD = Infinity;
  centres.forEach((c, i) => {
    const d = squaredEuclidean(c, p);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}
