import { GridNetwork } from "../grid/network";
import { Source } from "../grid/sources";
import { AlgorithmName } from "./algorithms";
import { DEFAULT_LOCAL_SEARCH, LocalSearchOptions, qtdrLs } from "./algorithms/qtdrLs";
import { RouteReport } from "./api";
import { RoutingContext } from "./context";
import { buildDemands } from "./demands";
import { CaseFrontier, FrontierPoint, PAPER_CLAIMS } from "./experimentResults";

export type { CaseFrontier, FrontierPoint } from "./experimentResults";
import { RoutingOptions } from "./options";

/** Frontier sweep settings: how many collection caps, and a lighter optimiser than the default. */
export interface FrontierOptions {
  steps: number;
  localSearch: LocalSearchOptions;
}

export const DEFAULT_FRONTIER_OPTIONS: Readonly<FrontierOptions> = Object.freeze({
  steps: 6,
  localSearch: { ...DEFAULT_LOCAL_SEARCH, kicks: 100 },
});

/** Points not dominated by another violation-free point (no slower and no less balanced, one strictly better). */
export function nonDominated(points: readonly FrontierPoint[]): FrontierPoint[] {
  const ok = points.filter((p) => p.deadlineViolations === 0 && Number.isFinite(p.blockTimeMs));
  return ok
    .filter(
      (p) =>
        !ok.some(
          (q) =>
            q.blockTimeMs <= p.blockTimeMs &&
            q.lbNet <= p.lbNet &&
            (q.blockTimeMs < p.blockTimeMs || q.lbNet < p.lbNet),
        ),
    )
    .sort((a, b) => a.blockTimeMs - b.blockTimeMs || a.lbNet - b.lbNet)
    .filter((p, i, arr) => i === 0 || p.blockTimeMs !== arr[i - 1].blockTimeMs || p.lbNet !== arr[i - 1].lbNet);
}

/**
 * The (block time, LB_net) trade-off the optimiser finds: QT-DR+LS rerun with every demand's deadline
 * capped at a collection-delay limit, swept from the fastest algorithm's collection time to the
 * deadline. A routing that meets the capped deadlines meets the real ones, and block time and
 * LB_net do not depend on deadlines, so every sweep point is a valid routing of the real problem.
 */
export function paretoFrontier(
  net: GridNetwork,
  sources: readonly Source[],
  report: RouteReport,
  options: Partial<FrontierOptions> = {},
): CaseFrontier {
  const o = { ...DEFAULT_FRONTIER_OPTIONS, ...options };
  const opts: RoutingOptions = report.options;
  const algorithms: FrontierPoint[] = Object.values(report.algorithms).map((a) => ({
    label: a!.algorithm,
    kind: "algorithm",
    collectCapMs: null,
    generator: a!.generator,
    blockTimeMs: a!.blockTimeMs,
    lbNet: a!.lbNet,
    deadlineViolations: a!.deadlineViolations,
  }));
  const feasible = Object.values(report.algorithms).filter((a) => a!.deadlineViolations === 0);
  const lo = feasible.length > 0 ? Math.min(...feasible.map((a) => a!.collectMs)) : opts.deadlineS * 1000;
  const hi = Math.max(...sources.map((s) => s.deadlineMs ?? opts.deadlineS * 1000));
  const sweep: FrontierPoint[] = [];
  for (let i = 0; i < o.steps; i++) {
    const cap = o.steps === 1 ? hi : lo + ((hi - lo) * i) / (o.steps - 1);
    const capped = sources.map((s) => ({ ...s, deadlineMs: Math.min(s.deadlineMs ?? opts.deadlineS * 1000, cap) }));
    const ctx = new RoutingContext(net, opts, buildDemands(net, capped, opts));
    const ev = qtdrLs(ctx, o.localSearch);
    sweep.push({
      label: `QT-DR+LS, collect <= ${cap.toFixed(0)} ms`,
      kind: "optimiser",
      collectCapMs: cap,
      generator: ev.generator,
      blockTimeMs: ev.blockTimeMs,
      lbNet: ev.lbNet,
      deadlineViolations: ev.deadlineViolations,
    });
  }
  const points = [...sweep, ...algorithms];
  const byName = (n: AlgorithmName): FrontierPoint | undefined => algorithms.find((p) => p.label === n);
  const qosr = byName("QoS-R");
  const radbmm = byName("RA-DBMM");
  const claim = PAPER_CLAIMS.p003Ieee118;
  const blockTimeMaxMs = Math.min(qosr?.blockTimeMs ?? Infinity, radbmm?.blockTimeMs ?? Infinity);
  const lbNetMax = Math.min(
    qosr ? (1 - claim.vsQosR) * qosr.lbNet : Infinity,
    radbmm ? (1 - claim.vsRaDbmm) * radbmm.lbNet : Infinity,
  );
  const holds = (p: FrontierPoint | undefined): boolean =>
    !!p && p.deadlineViolations === 0 && p.blockTimeMs <= blockTimeMaxMs && p.lbNet <= lbNetMax;
  return {
    case: report.case,
    points,
    frontier: nonDominated(points),
    jointClaim: {
      byQtdr: holds(byName("QT-DR")),
      bySomeRouting: points.some(holds),
      blockTimeMaxMs,
      lbNetMax,
    },
  };
}
