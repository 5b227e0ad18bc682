import { createRng, type Rng } from "../common/rng";

/** The faults a run injects, so the report can show what the checks caught (ground truth). */
export type FaultKind =
  "spike" | "unit" | "dropout" | "stuck" | "drift" | "unknownTerminal" | "badSignature" | "staleTimestamp" | "replay";

export interface FaultOptions {
  /** Per reading: chance of a spike of ±20-50%. */
  spikeRate: number;
  /** Per reading: chance of a x10 unit error. */
  unitErrorRate: number;
  /** Per reading: chance of a dropout to 0. */
  dropoutRate: number;
  /** Stuck-value events per simulated day (a meter repeats one value for `stuckPeriods`). */
  stuckPerDay: number;
  stuckPeriods: number;
  /**
   * Drift events per simulated day: a meter's calibration runs off linearly to +/- U(driftMin, driftMax) of the
   * true value over `driftPeriods`, then resets (the shape grid:validate injects, issue 14).
   */
  driftPerDay: number;
  driftPeriods: number;
  driftMin: number;
  driftMax: number;
  /** Per day: packages from an unregistered terminal. */
  unknownTerminalPerDay: number;
  /** Per day: packages signed by the wrong key. */
  badSignaturePerDay: number;
  /** Per day: records with a timestamp two hours before their period. */
  staleTimestampPerDay: number;
  /** Per day: packages re-sent a period later (replays). */
  replayPerDay: number;
}

export const DEFAULT_FAULTS: Readonly<FaultOptions> = Object.freeze({
  spikeRate: 0.004,
  unitErrorRate: 0.002,
  dropoutRate: 0.001,
  stuckPerDay: 1,
  stuckPeriods: 24,
  driftPerDay: 1,
  driftPeriods: 48,
  driftMin: 0.2,
  driftMax: 0.5,
  unknownTerminalPerDay: 2,
  badSignaturePerDay: 2,
  staleTimestampPerDay: 3,
  replayPerDay: 2,
});

/** No faults at all (for benchmarks of the clean path). */
export const NO_FAULTS: Readonly<FaultOptions> = Object.freeze({
  spikeRate: 0,
  unitErrorRate: 0,
  dropoutRate: 0,
  stuckPerDay: 0,
  stuckPeriods: 24,
  driftPerDay: 0,
  driftPeriods: 48,
  driftMin: 0.2,
  driftMax: 0.5,
  unknownTerminalPerDay: 0,
  badSignaturePerDay: 0,
  staleTimestampPerDay: 0,
  replayPerDay: 0,
});

export interface StuckEvent {
  terminal: number;
  fromPeriod: number;
  toPeriod: number;
}

export interface DriftEvent extends StuckEvent {
  /** Signed relative error reached at `toPeriod`. */
  magnitude: number;
}

/** The day-level part of the plan, drawn once from the seed so every period (and a resume) agrees on it. */
export interface FaultPlan {
  options: FaultOptions;
  stuck: StuckEvent[];
  drift: DriftEvent[];
  /** Period -> terminal indices affected. */
  unknownTerminal: Map<number, number>;
  badSignature: Map<number, number[]>;
  staleTimestamp: Map<number, number[]>;
  replay: Map<number, number[]>;
}

function scatter(rng: Rng, count: number, periods: number, terminals: readonly number[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  if (terminals.length === 0) return out;
  for (let i = 0; i < count; i++) {
    // Replays need a previous period; keep every event off period 0.
    const period = rng.int(1, periods - 1);
    out.set(period, [...(out.get(period) ?? []), terminals[rng.int(0, terminals.length - 1)]]);
  }
  return out;
}

/** Draws the plan for `periods` periods; `meters` and `producers` are terminal indices that may be hit. */
export function planFaults(
  seed: number,
  periods: number,
  producers: readonly number[],
  meters: readonly number[],
  options: Partial<FaultOptions> = {},
): FaultPlan {
  const o = { ...DEFAULT_FAULTS, ...options };
  const rng = createRng(seed).fork("fault-plan");
  const days = periods / 96;
  const perRun = (perDay: number) => Math.round(perDay * days);
  const stuck: StuckEvent[] = [];
  for (let i = 0; i < perRun(o.stuckPerDay) && meters.length > 0; i++) {
    const fromPeriod = rng.int(0, Math.max(0, periods - o.stuckPeriods));
    stuck.push({
      terminal: meters[rng.int(0, meters.length - 1)],
      fromPeriod,
      toPeriod: Math.min(periods, fromPeriod + o.stuckPeriods),
    });
  }
  const unknown = scatter(rng, perRun(o.unknownTerminalPerDay), periods, [0]);
  return {
    options: o,
    stuck,
    drift: planDrifts(seed, periods, meters, o, perRun(o.driftPerDay)),
    unknownTerminal: new Map([...unknown].map(([p, list]) => [p, list.length])),
    badSignature: scatter(rng, perRun(o.badSignaturePerDay), periods, producers),
    staleTimestamp: scatter(rng, perRun(o.staleTimestampPerDay), periods, producers),
    replay: scatter(rng, perRun(o.replayPerDay), periods, producers),
  };
}

/** Drift events from their own random stream, so adding them leaves every other fault of a seed where it was. */
function planDrifts(
  seed: number,
  periods: number,
  meters: readonly number[],
  o: FaultOptions,
  count: number,
): DriftEvent[] {
  const rng = createRng(seed).fork("drift-plan");
  const out: DriftEvent[] = [];
  for (let i = 0; i < count && meters.length > 0; i++) {
    const fromPeriod = rng.int(0, Math.max(0, periods - o.driftPeriods));
    const sign = rng.next() < 0.5 ? -1 : 1;
    out.push({
      terminal: meters[rng.int(0, meters.length - 1)],
      fromPeriod,
      toPeriod: Math.min(periods, fromPeriod + o.driftPeriods),
      magnitude: sign * (o.driftMin + (o.driftMax - o.driftMin) * rng.next()),
    });
  }
  return out;
}

/**
 * The factor a drift multiplies a terminal's reading by at `period` + `fraction` of it (1 when no drift is
 * under way): the error ramps linearly from 0 at the drift's start to its magnitude at its end.
 */
export function driftFactor(plan: FaultPlan, terminal: number, period: number, fraction: number): number {
  const d = plan.drift.find((e) => e.terminal === terminal && period >= e.fromPeriod && period < e.toPeriod);
  if (!d) return 1;
  return 1 + (d.magnitude * (period - d.fromPeriod + fraction)) / (d.toPeriod - d.fromPeriod);
}
