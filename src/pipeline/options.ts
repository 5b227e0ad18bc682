import { z } from "zod";
import { DEFAULT_FAULTS, type FaultOptions } from "./faults";
import { DEFAULT_SCENARIO_OPTIONS, type ScenarioOptions } from "./scenario";

/** How anchoring transactions are sent: back-off while the node is unreachable, fee bump when one is not mined. */
export const SEND_DEFAULTS = {
  attempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  receiptTimeoutMs: 60_000,
  feeBumpPercent: 15,
  /**
   * Batches one anchoring transaction carries at most: a zoned run has two per zone, and hundreds of zones in
   * one multicall would pass a block's gas limit (about 77,000 gas a batch; 100 batches stay near 8 M gas).
   */
  batchesPerTransaction: 100,
} as const;

/** The defaults of `grid:run` (and `npm start`): one simulated day on IEEE 39. */
export const RUN_DEFAULTS = {
  case: "ieee39",
  days: 1,
  seed: 1,
  out: "out/runs",
  confirmations: 1,
  /** The GEFCom local day whose load shape the run replays; the validator trains on the data before it. */
  dataDay: "2013-07-16",
  /** The first day of training data for the validator. */
  trainFrom: "2012-01-01",
  /** The market day priced (Elia 15-minute imbalance price, UTC), the same weekday as dataDay. */
  marketDay: "2025-07-15",
  loadFile: "data/load/gefcom2014e_2012_2013.csv",
  priceFile: "data/market/elia_be_imbalance_price_15min.csv",
  /** Relative noise (standard deviation) of readings. */
  sourceNoise: 0.005,
  meterNoise: 0.01,
  /** Background link utilisation range at peak load; scaled down with the load (see docs/pipeline.md). */
  backgroundMin: 0.1,
  backgroundMax: 0.5,
  /** Records verified on-chain at the end of the run. */
  verifySamples: 24,
  periodSeconds: 900,
} as const;

/** The day before a YYYY-MM-DD day (the validator trains up to the day before the one replayed). */
export function previousDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

export interface RunOptions {
  case: string;
  days: number;
  /** Only the first N periods of the days (a short run); default all, 96 a day. */
  periods?: number;
  seed: number;
  /** Parent folder of run folders. */
  out: string;
  /** Continue this run (its folder under `out`) instead of starting a new one. */
  resume?: string;
  confirmations: number;
  dataDay: string;
  trainFrom: string;
  marketDay: string;
  loadFile: string;
  priceFile: string;
  /** A saved validator model (JSON from grid:validate --model-out); trained with the fast preset when absent. */
  modelFile?: string;
  sourceNoise: number;
  meterNoise: number;
  backgroundMin: number;
  backgroundMax: number;
  verifySamples: number;
  periodSeconds: number;
  /** Zones each with its own elected generator: a count, or "auto" (the fewest meeting every deadline at peak). */
  zones?: number | "auto";
  faults: FaultOptions;
  scenario: ScenarioOptions;
  send: {
    attempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
    receiptTimeoutMs: number;
    feeBumpPercent: number;
    batchesPerTransaction: number;
  };
}

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD");

export const runOptionsSchema = z.object({
  case: z.string().min(1),
  days: z.number().int().min(1).max(366),
  periods: z.number().int().min(1).optional(),
  seed: z.number().int().min(0),
  out: z.string().min(1),
  resume: z.string().min(1).optional(),
  confirmations: z.number().int().min(1).max(64),
  dataDay: day,
  trainFrom: day,
  marketDay: day,
  loadFile: z.string().min(1),
  priceFile: z.string().min(1),
  modelFile: z.string().min(1).optional(),
  sourceNoise: z.number().min(0).max(0.2),
  meterNoise: z.number().min(0).max(0.2),
  backgroundMin: z.number().min(0).max(0.95),
  backgroundMax: z.number().min(0).max(0.95),
  verifySamples: z.number().int().min(1).max(10_000),
  periodSeconds: z.literal(900),
  zones: z.union([z.number().int().min(1), z.literal("auto")]).optional(),
});

/** Fills defaults and validates; errors name the option. */
export function resolveRunOptions(partial: Partial<RunOptions>): RunOptions {
  const merged: RunOptions = {
    ...RUN_DEFAULTS,
    faults: { ...DEFAULT_FAULTS },
    scenario: { ...DEFAULT_SCENARIO_OPTIONS },
    send: { ...SEND_DEFAULTS },
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  } as RunOptions;
  // A run journaled before a send option existed resumes with that option's default.
  merged.send = { ...SEND_DEFAULTS, ...merged.send };
  const parsed = runOptionsSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`grid:run option --${String(issue.path[0])}: ${issue.message}`);
  }
  if (merged.periods !== undefined && merged.periods > merged.days * 96)
    throw new Error(
      `grid:run option --periods: ${merged.periods} exceeds the ${merged.days * 96} periods of --days ${merged.days}`,
    );
  const perTx = merged.send.batchesPerTransaction;
  if (!(Number.isInteger(perTx) && perTx >= 1))
    throw new Error(`grid:run option --batches-per-tx: a whole number of batches >= 1, got ${perTx}`);
  if (merged.backgroundMin > merged.backgroundMax)
    throw new Error("grid:run: --background-min exceeds --background-max");
  return merged;
}

export type { FaultOptions, ScenarioOptions };
