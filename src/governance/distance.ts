/** A symmetric n x n matrix of pairwise dissimilarities, row-major. */
export interface DistanceMatrix {
  n: number;
  at(i: number, j: number): number;
  data: Float64Array;
}

export function squaredEuclidean(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

/** Wraps a row-major n x n array. */
export function distanceMatrixOf(n: number, data: Float64Array): DistanceMatrix {
  if (data.length !== n * n) throw new Error(`distance matrix needs ${n * n} entries, got ${data.length}`);
  return { n, data, at: (i, j) => data[i * n + j] };
}

/** Pairwise Euclidean distances between points (all of one dimension). */
export function euclideanMatrix(points: readonly (readonly number[])[]): DistanceMatrix {
  const n = points.length;
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = Math.sqrt(squaredEuclidean(points[i], points[j]));
      data[i * n + j] = d;
      data[j * n + i] = d;
    }
  }
  return distanceMatrixOf(n, data);
}
