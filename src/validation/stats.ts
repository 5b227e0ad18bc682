/** Small statistics used across validation: all take plain number arrays. */

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Population standard deviation. */
export function sd(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return Math.sqrt(s / xs.length);
}

/**
 * Pearson correlation `h = cov(a, b) / (sd(a) sd(b))` (ALGORITHMS.md 9.2). NaN when either side is
 * constant, because the correlation is then undefined.
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`pearson: lengths differ (${a.length} vs ${b.length})`);
  if (a.length < 2) return NaN;
  const ma = mean(a);
  const mb = mean(b);
  let c = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    c += da * db;
    va += da * da;
    vb += db * db;
  }
  return va === 0 || vb === 0 ? NaN : c / Math.sqrt(va * vb);
}

/** Mean absolute percentage error in percent, over the points with a non-zero actual. */
export function mape(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] === 0) continue;
    s += Math.abs((actual[i] - forecast[i]) / actual[i]);
    n++;
  }
  return (100 * s) / n;
}

export function rmse(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += (actual[i] - forecast[i]) ** 2;
  return Math.sqrt(s / actual.length);
}

/** Median (NaN when empty). */
export function median(xs: readonly number[]): number {
  return medianInPlace([...xs]);
}

/** `median` of an array the caller does not need in its order any more (sorted in place, no copy). */
export function medianInPlace(xs: number[]): number {
  if (xs.length === 0) return NaN;
  xs.sort((a, b) => a - b);
  const m = xs.length >> 1;
  return xs.length % 2 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
}
