import { GridCase } from "../../src/grid/case";

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
