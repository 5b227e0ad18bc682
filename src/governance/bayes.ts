/**
 * Gaussian naive Bayes (P000 eq. 8-9). Each class Y_i has a prior P(Y_i) (its share of the training
 * set) and, per feature, a normal likelihood with the class mean and variance. Features are taken
 * as independent given the class, so log P(X|Y_i) is a sum over features. The posterior is eq. 9:
 *   P(Y_i|X) = P(Y_i) P(X|Y_i) / sum_j P(Y_j) P(X|Y_j)
 * computed in logs with log-sum-exp, since products of 96 densities underflow.
 */
export interface GaussianNbModel {
  classes: string[];
  logPriors: number[];
  /** means[c][f], variances[c][f] (after smoothing). */
  means: number[][];
  variances: number[][];
  /** The variance added to every feature: varSmoothing x the largest feature variance. */
  epsilon: number;
}

/** Fraction of the largest feature variance added to all variances, so no variance is 0. */
export const DEFAULT_VAR_SMOOTHING = 1e-9;

export function fitGaussianNb(
  features: readonly (readonly number[])[],
  labels: readonly string[],
  varSmoothing = DEFAULT_VAR_SMOOTHING,
): GaussianNbModel {
  if (features.length === 0 || features.length !== labels.length) {
    throw new Error(
      `naive Bayes: need one label per row and at least one row (${features.length} rows, ${labels.length} labels)`,
    );
  }
  const dims = features[0].length;
  const classes = [...new Set(labels)].sort();
  const epsilon = varSmoothing * Math.max(...columnStats(features, dims).variance, 0);
  const means: number[][] = [];
  const variances: number[][] = [];
  const logPriors: number[] = [];
  for (const c of classes) {
    const rows = features.filter((_, i) => labels[i] === c);
    logPriors.push(Math.log(rows.length / features.length));
    const { mean, variance } = columnStats(rows, dims);
    means.push(mean);
    variances.push(variance.map((v) => v + epsilon));
  }
  const zero = variances.some((vs) => vs.some((v) => !(v > 0)));
  if (zero)
    throw new Error("naive Bayes: a feature has zero variance in a class and varSmoothing is 0; use varSmoothing > 0");
  return { classes, logPriors, means, variances, epsilon };
}

/** Per-feature mean and (population, maximum-likelihood) variance. */
function columnStats(rows: readonly (readonly number[])[], dims: number): { mean: number[]; variance: number[] } {
  const mean = new Array<number>(dims).fill(0);
  rows.forEach((r) => r.forEach((v, f) => (mean[f] += v / rows.length)));
  const variance = new Array<number>(dims).fill(0);
  rows.forEach((r) => r.forEach((v, f) => (variance[f] += (v - mean[f]) ** 2 / rows.length)));
  return { mean, variance };
}

/** log P(Y_i) + log P(X|Y_i) for every class (the numerator of eq. 9, in logs). */
export function jointLogLikelihood(model: GaussianNbModel, x: readonly number[]): number[] {
  return model.classes.map((_, c) => {
    let ll = model.logPriors[c];
    const mu = model.means[c];
    const v = model.variances[c];
    for (let f = 0; f < x.length; f++) ll -= 0.5 * (Math.log(2 * Math.PI * v[f]) + (x[f] - mu[f]) ** 2 / v[f]);
    return ll;
  });
}

/** P(Y_i|X) for every class (eq. 9), normalised with log-sum-exp. */
export function posteriors(model: GaussianNbModel, x: readonly number[]): number[] {
  const jll = jointLogLikelihood(model, x);
  const max = Math.max(...jll);
  const logEvidence = max + Math.log(jll.reduce((s, l) => s + Math.exp(l - max), 0));
  return jll.map((l) => Math.exp(l - logEvidence));
}

/** The maximum a posteriori class (ties go to the first class in sorted order). */
export function predict(model: GaussianNbModel, x: readonly number[]): string {
  const jll = jointLogLikelihood(model, x);
  let best = 0;
  for (let c = 1; c < jll.length; c++) if (jll[c] > jll[best]) best = c;
  return model.classes[best];
}
