import { createRng } from "../common/rng";

export interface Mm1kSimulationOptions {
  lambda: number;
  mu: number;
  K: number;
  /** Number of measured arriving packets (accepted plus lost). */
  packets: number;
  seed: number;
  /** Arrivals simulated and discarded before measuring, so the empty start does not bias the estimates. */
  warmupPackets?: number;
  /** Contiguous batches used for the batch-means standard errors. */
  batches?: number;
}

export interface Mm1kSimulationResult {
  arrivals: number;
  lost: number;
  /** Fraction of measured arrivals that found K packets in the system. */
  pLoss: number;
  /** Mean sojourn time (wait plus service) of the measured accepted packets, seconds. */
  tDelay: number;
  /** Time-average number in system over the measured window (sum of sojourns / elapsed time). */
  L: number;
  /** Batch-means standard error of `pLoss` (0 when no batch lost a packet). */
  pLossStdErr: number;
  /** Batch-means standard error of `tDelay`. */
  tDelayStdErr: number;
}

/** Default warm-up: 1% of the run, enough for the largest K in the test grid to forget its empty start. */
export const DEFAULT_WARMUP_FRACTION = 0.01;
/** Default number of batches for the standard errors (Law & Kelton recommend 10-30 or more). */
export const DEFAULT_BATCHES = 50;

function stdErr(values: Float64Array): number {
  const n = values.length;
  let mean = 0;
  for (const v of values) mean += v / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return Math.sqrt(ss / (n - 1) / n);
}

/**
 * Seeded discrete-event simulation of the same M/M/1/K queue as `mm1k`. With one FIFO server the
 * only events between two arrivals are departures, and each departure time is known when its packet
 * is admitted (start = max(arrival, previous departure)), so pending departures live in a ring
 * buffer of size K instead of a general event list.
 */
export function simulateMm1k(opts: Mm1kSimulationOptions): Mm1kSimulationResult {
  const { lambda, mu, K, packets, seed } = opts;
  if (!(lambda > 0) || !(mu > 0)) throw new RangeError(`simulateMm1k: lambda and mu must be > 0 (${lambda}, ${mu})`);
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`simulateMm1k: K must be an integer >= 1, got ${K}`);
  const batches = opts.batches ?? DEFAULT_BATCHES;
  if (!Number.isInteger(packets) || packets < batches * 2) {
    throw new RangeError(`simulateMm1k: packets must be an integer >= ${batches * 2}, got ${packets}`);
  }
  const warmup = opts.warmupPackets ?? Math.floor(packets * DEFAULT_WARMUP_FRACTION);
  const arrivalsRng = createRng(seed).fork("arrivals");
  const serviceRng = createRng(seed).fork("service");
  const departures = new Float64Array(K);
  const batchLost = new Float64Array(batches);
  const batchArrivals = new Float64Array(batches);
  const batchSojourn = new Float64Array(batches);
  const batchAccepted = new Float64Array(batches);
  let head = 0;
  let count = 0;
  let lastDeparture = 0;
  let t = 0;
  let windowStart = 0;
  for (let i = 0; i < warmup + packets; i++) {
    t += arrivalsRng.exponential(lambda);
    if (i === warmup) windowStart = t;
    while (count > 0 && departures[head] <= t) {
      head = (head + 1) % K;
      count--;
    }
    const batch = i < warmup ? -1 : Math.floor(((i - warmup) * batches) / packets);
    if (batch >= 0) batchArrivals[batch]++;
    if (count === K) {
      if (batch >= 0) batchLost[batch]++;
      continue;
    }
    const departure = Math.max(t, lastDeparture) + serviceRng.exponential(mu);
    departures[(head + count) % K] = departure;
    count++;
    lastDeparture = departure;
    if (batch >= 0) {
      batchSojourn[batch] += departure - t;
      batchAccepted[batch]++;
    }
  }
  const sum = (a: Float64Array): number => a.reduce((x, y) => x + y, 0);
  const lost = sum(batchLost);
  const accepted = sum(batchAccepted);
  const sojourn = sum(batchSojourn);
  return {
    arrivals: packets,
    lost,
    pLoss: lost / packets,
    tDelay: accepted > 0 ? sojourn / accepted : 0,
    L: sojourn / (t - windowStart),
    pLossStdErr: stdErr(batchLost.map((l, b) => l / batchArrivals[b])),
    tDelayStdErr: stdErr(batchSojourn.map((s, b) => (batchAccepted[b] > 0 ? s / batchAccepted[b] : 0))),
  };
}
