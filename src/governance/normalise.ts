/**
 * How a daily profile is scaled before clustering or classification.
 * - "zscore": each day minus its own mean, divided by its own standard deviation, so days are
 *   compared by shape (when in the day the value is high or low), not by level or spread.
 * - "none": raw values in the series' unit, so level (season, price regime) dominates.
 */
export type Normalisation = "zscore" | "none";
export const NORMALISATIONS: readonly Normalisation[] = ["zscore", "none"];
export const DEFAULT_NORMALISATION: Normalisation = "zscore";

export function meanAndSd(values: readonly number[]): { mean: number; sd: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  return { mean, sd: Math.sqrt(variance) };
}

/** Scales one profile. A flat day (sd = 0) z-scores to all zeros rather than NaN. */
export function normaliseProfile(values: readonly number[], mode: Normalisation): number[] {
  if (mode === "none") return [...values];
  const { mean, sd } = meanAndSd(values);
  return values.map((v) => (sd > 0 ? (v - mean) / sd : 0));
}
