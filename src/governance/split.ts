import { createRng } from "../common/rng";

export interface Split {
  /** Row indices, ascending. */
  train: number[];
  test: number[];
}

/**
 * Stratified, seeded train/test split: within each class, a seeded shuffle puts
 * round(testFraction x class size) rows in the test set, so rare classes (holidays) appear in both
 * sets in proportion. A class with at least two rows keeps at least one in each set.
 */
export function stratifiedSplit(labels: readonly string[], testFraction: number, seed: number): Split {
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`test fraction must be in (0, 1), got ${testFraction}`);
  const rng = createRng(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const cls of [...new Set(labels)].sort()) {
    const rows = labels.flatMap((l, i) => (l === cls ? [i] : []));
    for (let i = rows.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    let nTest = Math.round(testFraction * rows.length);
    if (rows.length >= 2) nTest = Math.min(Math.max(nTest, 1), rows.length - 1);
    test.push(...rows.slice(0, nTest));
    train.push(...rows.slice(nTest));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}
