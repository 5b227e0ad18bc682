import type { GridCase } from "../grid/case";
import { terminalIdFor } from "../grid/ids";
import { defaultSources, type Source } from "../grid/sources";
import type { TerminalKindName } from "../chain/types";

/** What a terminal does in the simulated day. */
export type TerminalRole = "node" | "meter";

/** One terminal of the scenario: a CPPS node per bus (P003), plus a smart meter per load bus. */
export interface ScenarioTerminal {
  /** `<case>.bus<n>.<role>`, hashed into the terminal id. */
  label: string;
  terminalId: string;
  bus: number;
  role: TerminalRole;
  kind: TerminalKindName;
  /** Readings per 15-minute period (0: the node only relays and may be elected to build blocks). */
  samplesPerPeriod: number;
  /** Nominal active power (MW) the terminal's readings are scaled to. */
  nominalMw: number;
  /** P003 data source: the block it sends per sampling period in the routing model. */
  source?: Source;
}

export interface ScenarioOptions {
  /** Readings per period of each data-source terminal (one a minute by default). */
  sourceSamplesPerPeriod: number;
  /** Readings per period of each smart meter (one per 15-minute frame by default). */
  meterSamplesPerPeriod: number;
  /** Floor of a source terminal's nominal power, MW (buses without load or generation still carry flows). */
  minSourceNominalMw: number;
}

export const DEFAULT_SCENARIO_OPTIONS: Readonly<ScenarioOptions> = Object.freeze({
  sourceSamplesPerPeriod: 15,
  meterSamplesPerPeriod: 1,
  minSourceNominalMw: 100,
});

/**
 * Kinds of the P003 data sources. In IEEE 39 the paper's terminals 1, 13 and 17 measure generator and
 * transformer state (TTU) and 5, 8 and 15 line flows (PMU); in other cases generator buses get a TTU and the
 * others a PMU. Every other bus has a feeder terminal (FTU) that relays and may be elected block generator.
 */
function sourceKind(caseName: string, bus: number, generatorBuses: ReadonlySet<number>): TerminalKindName {
  if (caseName === "ieee39") return [1, 13, 17].includes(bus) ? "TTU" : "PMU";
  return generatorBuses.has(bus) ? "TTU" : "PMU";
}

/** The terminals of a case: one CPPS node per bus and one smart meter per load bus (Pd > 0). */
export function scenarioTerminals(
  caseName: string,
  grid: GridCase,
  options: Partial<ScenarioOptions> = {},
): ScenarioTerminal[] {
  const o = { ...DEFAULT_SCENARIO_OPTIONS, ...options };
  const sources = new Map(defaultSources(caseName, grid).map((s) => [s.bus, s]));
  const generation = new Map<number, number>();
  for (const g of grid.generators) generation.set(g.bus, (generation.get(g.bus) ?? 0) + g.Pg);
  const generatorBuses = new Set(generation.keys());
  const terminals: ScenarioTerminal[] = [];
  for (const bus of grid.buses) {
    if (bus.type === 4) continue;
    const source = sources.get(bus.id);
    terminals.push({
      label: `${caseName}.bus${bus.id}.node`,
      terminalId: terminalIdFor(caseName, bus.id, "node"),
      bus: bus.id,
      role: "node",
      kind: source ? sourceKind(caseName, bus.id, generatorBuses) : "FTU",
      samplesPerPeriod: source ? o.sourceSamplesPerPeriod : 0,
      nominalMw: Math.max(o.minSourceNominalMw, bus.Pd, generation.get(bus.id) ?? 0),
      ...(source ? { source } : {}),
    });
  }
  for (const bus of grid.buses) {
    if (bus.type === 4 || !(bus.Pd > 0)) continue;
    terminals.push({
      label: `${caseName}.bus${bus.id}.meter`,
      terminalId: terminalIdFor(caseName, bus.id, "meter"),
      bus: bus.id,
      role: "meter",
      kind: "SmartMeter",
      samplesPerPeriod: o.meterSamplesPerPeriod,
      nominalMw: bus.Pd,
    });
  }
  return terminals;
}

/** The generator buses that sell energy in the simulated market, largest output first. */
export function sellerBuses(grid: GridCase): number[] {
  const pg = new Map<number, number>();
  for (const g of grid.generators) pg.set(g.bus, (pg.get(g.bus) ?? 0) + Math.max(g.Pg, 0));
  return [...pg.entries()]
    .filter(([, p]) => p > 0)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([bus]) => bus);
}
