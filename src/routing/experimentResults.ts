/**
 * What the routing experiment produces, shared by the experiment (which computes it) and its report (which
 * renders it), in a module of their own so that neither imports the other's code.
 */
import type { RouteReport } from "./api";
import type { ZonesReport } from "./zones";

/** The papers' claims, quoted in ALGORITHMS.md section 8. */
export const PAPER_CLAIMS = Object.freeze({
  p003Ieee118: { vsQosR: 0.3943, vsRaDbmm: 0.2973 },
  p000FiveScales: { vsTraditional: 0.3412, vsInfectious: 0.2382 },
});

export interface CaseReductions {
  case: string;
  /** Reduction of LB_net by each optimiser against each baseline, keyed "QT-DR vs QoS-R". */
  lbNet: Record<string, number | null>;
  lbUsed: Record<string, number | null>;
}

/** A case cut into zones (each with its own generator), against the BFS baseline with the same k. */
export interface CaseZones {
  case: string;
  requested: number | "auto";
  zones: ZonesReport;
  baseline: ZonesReport;
}

export interface ExperimentResults {
  cases: RouteReport[];
  reductions: CaseReductions[];
  claims: typeof PAPER_CLAIMS;
  /** Per case, the optimiser's (block time, LB_net) frontier (with `--frontier`). */
  frontiers?: CaseFrontier[];
  /** Per case, the zoned routing and the BFS baseline partition with the same k (with `--zones`). */
  zones?: CaseZones[];
  files: string[];
}

/** One routing in the (block time, LB_net) plane. */
export interface FrontierPoint {
  /** "QT-DR+LS, collect <= 600 ms" for the optimiser's sweep, the algorithm's name otherwise. */
  label: string;
  kind: "optimiser" | "algorithm";
  /** The collection-delay cap the optimiser ran under (ms), null for the algorithms. */
  collectCapMs: number | null;
  generator: number;
  blockTimeMs: number;
  lbNet: number;
  deadlineViolations: number;
}

export interface CaseFrontier {
  case: string;
  /** Every routing found: the optimiser's sweep and the algorithms of the report. */
  points: FrontierPoint[];
  /** The non-dominated violation-free points, fastest block first. */
  frontier: FrontierPoint[];
  /**
   * P003's joint claim on this case: a block no slower than the fastest of QoS-R and RA-DBMM and
   * LB_net at least 39.43% below QoS-R's and 29.73% below RA-DBMM's. Held by QT-DR itself, and by
   * any routing found.
   */
  jointClaim: { byQtdr: boolean; bySomeRouting: boolean; blockTimeMaxMs: number; lbNetMax: number };
}
