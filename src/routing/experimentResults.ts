/**
 * What the routing experiment produces, shared by the experiment (which computes it) and its report (which
 * renders it), in a module of their own so that neither imports the other's code.
 */
import type { RouteReport } from "./api";
import type { CaseFrontier } from "./frontier";

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

export interface ExperimentResults {
  cases: RouteReport[];
  reductions: CaseReductions[];
  claims: typeof PAPER_CLAIMS;
  /** Per case, the optimiser's (block time, LB_net) frontier (with `--frontier`). */
  frontiers?: CaseFrontier[];
  files: string[];
}
