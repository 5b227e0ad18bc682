import type { LocalClock } from "./clock";
import type { ResidualStats } from "./model";
import { mean, sd } from "./stats";

const HOUR_MS = 3_600_000;
/** Keeps `1 - rho^2` away from 0 so sigma never collapses. */
const MAX_RHO = 0.995;

/**
 * Pseudo-count that pulls each hour's spread towards the all-hours value, so an hour with few
 * validation rows cannot get a tiny sigma by chance.
 */
export const HOUR_SHRINKAGE = 20;

/**
 * Residual statistics of `actual - forecast` on validation. `rho1h` is the lag-1 h autocorrelation;
 * the spread of the one-hour change `e_t - rho e_(t-1h)` is measured overall and per local hour of
 * day (shrunk towards the overall value), from every pair of rows one hour apart.
 */
export function residualStats(
  timestamps: ArrayLike<number>,
  residuals: ArrayLike<number>,
  clock: LocalClock,
): ResidualStats {
  const index = new Map<number, number>();
  for (let i = 0; i < timestamps.length; i++) index.set(timestamps[i], i);
  const m = mean(residuals);
  const pairs: [number, number][] = [];
  for (let i = 0; i < timestamps.length; i++) {
    const j = index.get(timestamps[i] - HOUR_MS);
    if (j !== undefined) pairs.push([j, i]);
  }
  let c = 0;
  let v = 0;
  for (const [j, i] of pairs) {
    c += (residuals[j] - m) * (residuals[i] - m);
    v += (residuals[j] - m) ** 2;
  }
  const rho1h = v > 0 ? Math.max(0, Math.min(c / v, MAX_RHO)) : 0;
  const spread = sd(residuals);
  const byHour: number[][] = Array.from({ length: 24 }, () => []);
  const all: number[] = [];
  for (const [j, i] of pairs) {
    const u = residuals[i] - m - rho1h * (residuals[j] - m);
    all.push(u * u);
    byHour[localHour(timestamps[i], clock)].push(u * u);
  }
  const sdStep = all.length > 1 ? Math.sqrt(mean(all)) : spread;
  const sdStepByHour = byHour.map((sq) =>
    Math.sqrt((sq.reduce((a, b) => a + b, 0) + HOUR_SHRINKAGE * sdStep ** 2) / (sq.length + HOUR_SHRINKAGE)),
  );
  return { mean: m, sd: spread, rho1h, sdStep, sdStepByHour, n: residuals.length };
}

function localHour(epochMs: number, clock: LocalClock): number {
  return new Date(epochMs + clock.offsetMinutes(epochMs) * 60_000).getUTCHours();
}
