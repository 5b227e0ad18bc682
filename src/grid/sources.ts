import { GridCase } from "./case";

/** One data source for a sampling period: the terminal at `bus` sends a block of `bytes`. */
export interface Source {
  bus: number;
  bytes: number;
  /** Deadline for delivering this block to the generator, ms; the routing default applies when absent. */
  deadlineMs?: number;
}

/** Bytes in one "MB" of P003's data sizes (decimal megabyte). */
export const BYTES_PER_MB = 1_000_000;

/**
 * P003 Fig. 8: terminals 1, 13, 17 measure generator and transformer state (4, 9, 6 MB per
 * sampling period); terminals 5, 8, 15 measure line flows (8, 14, 12 MB). Terminal numbers are
 * taken as bus numbers, since P003 places one terminal per bus.
 */
export const IEEE39_PAPER_SOURCES: readonly Source[] = Object.freeze(
  [
    [1, 4],
    [13, 9],
    [17, 6],
    [5, 8],
    [8, 14],
    [15, 12],
  ].map(([bus, mb]) => ({ bus, bytes: mb * BYTES_PER_MB })),
);

/** The deterministic source rule for cases other than IEEE 39 (P003's Table 2 was lost). */
export interface SourceRuleOptions {
  /** Share of the buses that carry a source. */
  fraction: number;
  /** Fewest sources in any case. */
  minCount: number;
  /** Block sizes in MB, cycled over the chosen buses in order. */
  sizesMB: readonly number[];
}

export const DEFAULT_SOURCE_RULE: Readonly<SourceRuleOptions> = Object.freeze({
  fraction: 0.15,
  minCount: 4,
  sizesMB: Object.freeze([4, 9, 6, 8, 14, 12]),
});

/**
 * Chooses round(fraction * n) sources (at least minCount, at most the number of eligible buses):
 * generator buses first by total Pmax at the bus, descending; then the other buses by Pd,
 * descending; ties go to the lower bus id. Isolated buses (type 4) are never chosen. Sizes cycle
 * through `sizesMB` in that order.
 */
export function ruleSources(grid: GridCase, rule: Partial<SourceRuleOptions> = {}): Source[] {
  const r: SourceRuleOptions = { ...DEFAULT_SOURCE_RULE, ...rule };
  if (!(r.fraction > 0 && r.fraction <= 1))
    throw new RangeError(`source fraction must be in (0, 1], got ${r.fraction}`);
  if (r.sizesMB.length === 0 || r.sizesMB.some((s) => !(s > 0))) throw new RangeError(`source sizes must be > 0`);
  const eligible = grid.buses.filter((b) => b.type !== 4);
  const pmax = new Map<number, number>();
  for (const g of grid.generators) pmax.set(g.bus, (pmax.get(g.bus) ?? 0) + g.Pmax);
  const genBuses = eligible.filter((b) => pmax.has(b.id));
  const loadBuses = eligible.filter((b) => !pmax.has(b.id));
  genBuses.sort((a, b) => pmax.get(b.id)! - pmax.get(a.id)! || a.id - b.id);
  loadBuses.sort((a, b) => b.Pd - a.Pd || a.id - b.id);
  const count = Math.min(eligible.length, Math.max(r.minCount, Math.round(r.fraction * grid.buses.length)));
  return [...genBuses, ...loadBuses].slice(0, count).map((b, i) => ({
    bus: b.id,
    bytes: r.sizesMB[i % r.sizesMB.length] * BYTES_PER_MB,
  }));
}

/** IEEE 39 gets the paper's sources; every other case gets the documented rule. */
export function defaultSources(caseName: string, grid: GridCase, rule: Partial<SourceRuleOptions> = {}): Source[] {
  return caseName === "ieee39" ? IEEE39_PAPER_SOURCES.map((s) => ({ ...s })) : ruleSources(grid, rule);
}
