import { POINTS_PER_DAY } from "./profiles";
import { meanAndSd, normaliseProfile } from "./normalise";

/**
 * Features for naive Bayes from one 96-point day. Naive Bayes multiplies per-feature likelihoods
 * as if they were independent; neighbouring quarter-hours are nearly collinear (and hourly data
 * held over four quarter-hours repeats each value four times), so 96 raw points count the same
 * evidence many times and make the posteriors overconfident. Averaging the z-scored shape into
 * a few blocks removes most of that, and the day's level (mean, sd in the series' unit) returns
 * what z-scoring took away.
 * - "points": the 96 z-scored points;
 * - "hourly": 24 hourly means of the z-scored profile;
 * - "blocks": 8 three-hour means of the z-scored profile;
 * - "blocks+level": "blocks" plus the day's mean and standard deviation (the default).
 */
export type FeatureSet = "points" | "hourly" | "blocks" | "blocks+level";
export const FEATURE_SETS: readonly FeatureSet[] = ["points", "hourly", "blocks", "blocks+level"];
export const DEFAULT_FEATURE_SET: FeatureSet = "blocks+level";

const HOURLY_WIDTH = POINTS_PER_DAY / 24;
const BLOCK_WIDTH = POINTS_PER_DAY / 8;

function blockMeans(values: readonly number[], width: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i += width) {
    let s = 0;
    for (let j = i; j < i + width; j++) s += values[j];
    out.push(s / width);
  }
  return out;
}

export function profileFeatures(values: readonly number[], set: FeatureSet): number[] {
  const shape = normaliseProfile(values, "zscore");
  switch (set) {
    case "points":
      return shape;
    case "hourly":
      return blockMeans(shape, HOURLY_WIDTH);
    case "blocks":
      return blockMeans(shape, BLOCK_WIDTH);
    case "blocks+level": {
      const { mean, sd } = meanAndSd(values);
      return [...blockMeans(shape, BLOCK_WIDTH), mean, sd];
    }
  }
}

/** Human-readable names of the features of a set, for reports. */
export function featureNames(set: FeatureSet): string[] {
  const clock = (h: number) => `${String(h).padStart(2, "0")}h`;
  switch (set) {
    case "points":
      return Array.from(
        { length: POINTS_PER_DAY },
        (_, i) => `z@${clock(Math.floor(i / 4))}${String((i % 4) * 15).padStart(2, "0")}`,
      );
    case "hourly":
      return Array.from({ length: 24 }, (_, h) => `z@${clock(h)}`);
    case "blocks":
      return Array.from({ length: 8 }, (_, b) => `z@${clock(3 * b)}-${clock(3 * b + 3)}`);
    case "blocks+level":
      return [...featureNames("blocks"), "mean", "sd"];
  }
}
