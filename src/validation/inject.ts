import { createRng, type Rng } from "../common/rng";

/** Anomaly kinds of ALGORITHMS.md section 9. */
export const ANOMALY_KINDS = ["spike", "stuck", "drift", "dropout", "unit"] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/**
 * Shapes of the injected anomalies (durations in hours, so any sampling step works):
 * - spike: one reading times `1 +/- U(spikeMin, spikeMax)`;
 * - stuck: `stuckHours` of readings frozen at the value just before the window;
 * - drift: over `driftHours` the error ramps linearly from 0 to `+/- U(driftMin, driftMax)` of the
 *   true value (a sensor losing calibration), then the sensor is reset;
 * - dropout: `U(1, dropoutMaxHours)` hours of zeros;
 * - unit: `U(1, unitMaxHours)` hours multiplied by `unitFactor`.
 */
export interface InjectOptions {
  /** Events of each kind per 30 days of data. */
  eventsPer30Days: number;
  spikeMin: number;
  spikeMax: number;
  stuckHours: number;
  driftHours: number;
  driftMin: number;
  driftMax: number;
  dropoutMaxHours: number;
  unitMaxHours: number;
  unitFactor: number;
  /** Minimum clean hours between two events, so each event is judged on its own. */
  separationHours: number;
  /**
   * A drifting reading counts as an anomaly once its error reaches this fraction of the true value:
   * the first hour of a drift is off by 2-4%, inside the forecast's own error, and not yet a fault
   * worth quarantining. Such readings are reported as `altered` but not labelled. Every other
   * changed reading is labelled.
   */
  minDriftError: number;
}

export const DEFAULT_INJECT_OPTIONS: InjectOptions = {
  eventsPer30Days: 2,
  spikeMin: 0.2,
  spikeMax: 0.5,
  stuckHours: 6,
  driftHours: 12,
  driftMin: 0.2,
  driftMax: 0.5,
  dropoutMaxHours: 3,
  unitMaxHours: 3,
  unitFactor: 10,
  separationHours: 48,
  minDriftError: 0.05,
};

export interface InjectedEvent {
  kind: AnomalyKind;
  /** Index of the first altered reading and the number of readings in the window. */
  start: number;
  length: number;
  /** Signed relative size (spike, drift end), the factor (unit) or 0 (stuck, dropout). */
  magnitude: number;
}

export interface Injection {
  values: Float64Array;
  /** 1 for readings that are anomalies in the ground truth (see `minDriftError`). */
  labels: Uint8Array;
  /** Kind of each changed reading, or null. */
  kinds: (AnomalyKind | null)[];
  events: InjectedEvent[];
  altered: number;
  labelled: number;
}

/**
 * Injects seeded anomalies into a copy of `values` (one reading every `stepMs`). Events of all
 * kinds are interleaved at random non-overlapping positions, `separationHours` apart.
 */
export function injectAnomalies(
  values: ArrayLike<number>,
  stepMs: number,
  seed: number,
  overrides: Partial<InjectOptions> = {},
): Injection {
  const o = { ...DEFAULT_INJECT_OPTIONS, ...overrides };
  const perHour = 3_600_000 / stepMs;
  const n = values.length;
  const rng = createRng(seed);
  const out = Float64Array.from(values);
  const kinds: (AnomalyKind | null)[] = new Array(n).fill(null);
  const perKind = Math.max(1, Math.round(((n / perHour) * o.eventsPer30Days) / (30 * 24)));
  const plan: AnomalyKind[] = [];
  for (const k of ANOMALY_KINDS) for (let i = 0; i < perKind; i++) plan.push(k);
  shuffle(plan, rng);
  const lengths = plan.map((k) => Math.max(1, Math.round(durationHours(k, o, rng) * perHour)));
  const sep = Math.round(o.separationHours * perHour);
  const starts = placeEvents(lengths, n, sep, rng);
  const events: InjectedEvent[] = [];
  plan.forEach((kind, e) => {
    const start = starts[e];
    const len = lengths[e];
    const sign = rng.next() < 0.5 ? -1 : 1;
    let magnitude = 0;
    if (kind === "spike") magnitude = sign * uniform(rng, o.spikeMin, o.spikeMax);
    if (kind === "drift") magnitude = sign * uniform(rng, o.driftMin, o.driftMax);
    if (kind === "unit") magnitude = o.unitFactor;
    for (let i = start; i < start + len; i++) {
      const v = values[i];
      if (kind === "spike") out[i] = v * (1 + magnitude);
      if (kind === "stuck") out[i] = values[start - 1];
      if (kind === "drift") out[i] = v * (1 + (magnitude * (i - start + 1)) / len);
      if (kind === "dropout") out[i] = 0;
      if (kind === "unit") out[i] = v * o.unitFactor;
      kinds[i] = kind;
    }
    events.push({ kind, start, length: len, magnitude });
  });
  events.sort((a, b) => a.start - b.start);
  const labels = new Uint8Array(n);
  let altered = 0;
  for (let i = 0; i < n; i++) {
    if (kinds[i] === null) continue;
    if (out[i] === values[i]) {
      kinds[i] = null; // a stuck value that equals the truth changed nothing
      continue;
    }
    altered++;
    if (kinds[i] !== "drift" || Math.abs(out[i] - values[i]) >= o.minDriftError * Math.abs(values[i])) labels[i] = 1;
  }
  return { values: out, labels, kinds, events, altered, labelled: labels.reduce((s, v) => s + v, 0) };
}

function durationHours(kind: AnomalyKind, o: InjectOptions, rng: Rng): number {
  switch (kind) {
    case "spike":
      return 0;
    case "stuck":
      return o.stuckHours;
    case "drift":
      return o.driftHours;
    case "dropout":
      return rng.int(1, o.dropoutMaxHours);
    case "unit":
      return rng.int(1, o.unitMaxHours);
  }
}

/**
 * Random non-overlapping starts with `sep` clean readings around every event (and one clean
 * reading before each, which a stuck window copies). Throws when the series is too short.
 */
function placeEvents(lengths: number[], n: number, sep: number, rng: Rng): number[] {
  const need = lengths.reduce((s, l) => s + l + sep, sep);
  const slack = n - need;
  if (slack < 0) {
    throw new Error(
      `inject: ${lengths.length} events need ${need} readings, the range has ${n}; lower eventsPer30Days`,
    );
  }
  // Spread the slack over the gaps with sorted uniform cut points: a uniform random placement.
  const cuts = Array.from({ length: lengths.length }, () => rng.int(0, slack)).sort((a, b) => a - b);
  const starts: number[] = [];
  let pos = sep;
  lengths.forEach((len, e) => {
    const start = pos + cuts[e];
    starts.push(start);
    pos += len + sep;
  });
  return starts;
}

function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}

function shuffle<T>(xs: T[], rng: Rng): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
}
