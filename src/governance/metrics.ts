export interface ClassMetrics {
  label: string;
  /** Rows of this class in the evaluated set. */
  support: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface Evaluation {
  classes: string[];
  /** matrix[actual][predicted], in `classes` order. */
  confusion: number[][];
  accuracy: number;
  /** Mean per-class recall: unlike accuracy, not inflated by predicting the majority class. */
  balancedAccuracy: number;
  macroF1: number;
  perClass: ClassMetrics[];
}

/** Confusion matrix and scores of predictions against the true labels. */
export function evaluate(
  classes: readonly string[],
  actual: readonly string[],
  predicted: readonly string[],
): Evaluation {
  const index = new Map(classes.map((c, i) => [c, i]));
  const confusion = classes.map(() => new Array<number>(classes.length).fill(0));
  actual.forEach((a, i) => {
    const r = index.get(a);
    const c = index.get(predicted[i]);
    if (r === undefined || c === undefined)
      throw new Error(`evaluate: unknown class "${r === undefined ? a : predicted[i]}"`);
    confusion[r][c]++;
  });
  const perClass = classes.map((label, i) => {
    const support = confusion[i].reduce((s, v) => s + v, 0);
    const predictedAs = confusion.reduce((s, row) => s + row[i], 0);
    const tp = confusion[i][i];
    const precision = predictedAs > 0 ? tp / predictedAs : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, support, precision, recall, f1 };
  });
  const present = perClass.filter((m) => m.support > 0);
  const correct = classes.reduce((s, _, i) => s + confusion[i][i], 0);
  return {
    classes: [...classes],
    confusion,
    accuracy: actual.length > 0 ? correct / actual.length : 0,
    balancedAccuracy: present.reduce((s, m) => s + m.recall, 0) / Math.max(present.length, 1),
    macroF1: present.reduce((s, m) => s + m.f1, 0) / Math.max(present.length, 1),
    perClass,
  };
}
