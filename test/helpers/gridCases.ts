import { GridCase, loadCase } from "../../src/grid/case";
import { RUN_DEFAULTS } from "../../src/pipeline/options";
import { scenarioTerminals } from "../../src/pipeline/scenario";
import type { GridModel } from "../../src/pipeline/stages/gridModel";

/** A branch row for hand-built cases: [from, to, x] with status 1 unless given. */
export type BranchSpec = [from: number, to: number, x: number, status?: 0 | 1];

/**
 * Builds a small case of the data/ieee format in memory: buses 1..n (or the given ids), all PQ with
 * no load, generators as [bus, Pmax], branches with the given reactance.
 */
export function toyCase(
  name: string,
  buses: number | number[],
  branches: BranchSpec[],
  generators: [bus: number, pmax: number][] = [],
): GridCase {
  const ids = typeof buses === "number" ? Array.from({ length: buses }, (_, i) => i + 1) : buses;
  return {
    name,
    baseMVA: 100,
    buses: ids.map((id) => ({ id, type: 1, Pd: 0, Qd: 0, baseKV: 0, area: 1 })),
    generators: generators.map(([bus, Pmax]) => ({ bus, Pg: 0, Pmax })),
    branches: branches.map(([from, to, x, status = 1]) => ({ from, to, r: 0, x, b: 0, rateA: 0, status })),
  };
}

/** A bundled case with the scenario's terminals and the run's default background load, seed 1 (as grid:serve). */
export function scenarioModel(caseName: string): GridModel {
  const loaded = loadCase({ case: caseName });
  return {
    loaded,
    terminals: scenarioTerminals(loaded.name, loaded.grid),
    seed: 1,
    backgroundMin: RUN_DEFAULTS.backgroundMin,
    backgroundMax: RUN_DEFAULTS.backgroundMax,
  };
}
