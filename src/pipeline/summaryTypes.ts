/**
 * The run summary's types, shared by the pipeline (which builds the summary) and the report (which renders it),
 * in a module of their own so that neither imports the other's code.
 */
import type { AlgorithmName } from "../routing/algorithms";
import type { Delay } from "../validation/metrics";
import type { RefitCost } from "../validation/refit";

/** Reading faults scored as events. */
export const READING_FAULTS = ["spike", "stuck", "drift", "dropout", "unit"] as const;
export type ReadingFault = (typeof READING_FAULTS)[number];

export interface FaultEventScore {
  events: number;
  inBudget: number;
  recall: number | null;
  delayHours: Delay;
}

export type AlgorithmKey = AlgorithmName;

export interface RunSummary {
  runId: string;
  network: string;
  chainId: number;
  contracts: Record<string, string>;
  case: string;
  days: number;
  periods: number;
  seed: number;
  records: { total: number; anchored: number; quarantined: number };
  /** `anchored + quarantined == total`: every input record is either anchored with a proof or quarantined. */
  invariant: { holds: boolean; statement: string };
  quarantineReasons: Record<string, number>;
  /** Injected faults (ground truth) and how many of each the checks quarantined. */
  faults: Record<string, { injected: number; quarantined: number; missed: number }>;
  /** Quarantined records that carried no injected fault (false alarms). */
  falseAlarms: number;
  /**
   * Reading faults as events (issue 14): per kind, events caught within their latency budget and the delay,
   * with the peer check (the run's verdicts) and without it (the validate stage's shadow verdicts on the same
   * readings).
   */
  faultEvents: Partial<Record<ReadingFault, { withPeer: FaultEventScore; withoutPeer: FaultEventScore }>>;
  /** The validate stage: flags by rule, false alarms with and without the peer check, rolling refit cost. */
  validation: {
    peerCheck: boolean;
    /** Quarantined readings (that reached validation) by the rule that flagged them. */
    flaggedBy: Record<string, number>;
    /** Flags on readings with no injected fault. */
    falseAlarms: { withPeer: number; withoutPeer: number };
    /** The same per simulated day per reading terminal. */
    falseAlarmsPerDayPerStream: { withPeer: number; withoutPeer: number };
    refit: RefitCost;
  };
  batches: { anchored: number; failed: number; transactions: number };
  gas: { total: number; perBatch: number; perRecord: number };
  verifiedSamples: { ok: number; failed: number };
  tamperDetected: boolean;
  tamper: {
    recordId: string;
    batchId: number;
    flippedByte: number;
    original: { text: string; leafHash: string };
    tampered: { text: string; leafHash: string };
    onChainVerifies: boolean;
  } | null;
  /**
   * Mean modelled block generation time per algorithm over the run's periods (the algorithms routed: a zoned
   * run routes QT-DR per zone, see `zones`).
   */
  blockTimeMs: Partial<Record<AlgorithmKey, number>>;
  lbNet: Partial<Record<AlgorithmKey, number>>;
  /** A zoned run (`--zones`): the plan and per-zone figures; absent with one generator. */
  zones?: ZonesSummary;
  wallMs: number;
}

/** One zone of a zoned run over the whole run. */
export interface ZoneFigures {
  zone: number;
  buses: number;
  sources: number;
  /** Generator buses the zone elected, most often first. */
  generators: number[];
  batches: number;
  records: number;
  /** Means over the run's periods. */
  blockTimeMs: number;
  lbNet: number;
  /** Summed over the run's periods. */
  deadlineViolations: number;
}

export interface ZonesSummary {
  requested: number | "auto";
  k: number;
  tried: { k: number; deadlineViolations: number }[];
  /** Summed over zones and periods. */
  deadlineViolations: number;
  /** Mean over periods of the slowest zone's block time. */
  maxBlockTimeMs: number;
  /** Mean over periods of LB_net over the whole network. */
  lbNet: number;
  perZone: ZoneFigures[];
}

/** A zoned period's routing as stored in the journal (stages/zones.ts `compactZones`). */
export interface PeriodZones {
  k: number;
  deadlineViolations: number;
  maxBlockTimeMs: number;
  lbNet: number;
  zones: {
    zone: number;
    generator: number | null;
    sources: number;
    blockTimeMs: number;
    lbNet: number;
    deadlineViolations: number;
  }[];
}

/** Per-period routing as stored in the journal. */
export interface PeriodRouting {
  period: number;
  generatorBus: number;
  tBuildMs: number;
  /** A zoned run's period: per zone its generator and figures. */
  zones?: PeriodZones;
  algorithms: Partial<
    Record<
      AlgorithmKey,
      {
        generator: number;
        blockTimeMs: number;
        lbNet: number;
        lbUsed: number;
        maxUtil: number;
        meanUtil: number;
        deadlineViolations: number;
        links: [number, number, number][];
      }
    >
  >;
}
