/**
 * Zones in the pipeline and the gateway (issue 15 part 4): the grid is cut into zones once, when a run or a
 * gateway journal starts, and every period each zone elects its own generator (QT-DR on the zone's buses and
 * links), which signs the batches of the records from its zone's terminals on its own stream.
 */
import { partition, routeZones, routeZonesWithPartition, type ZonesReport } from "../../routing/zones";
import type { Election } from "./batch";
import { modelSources, periodNetwork, type GridModel, type ZonePlan } from "./gridModel";

export type { ZonePlan };

/** A journal's metadata store: the plan is kept there, so a resumed run or a restarted gateway keeps its zones. */
interface MetaStore {
  getMeta<T>(key: string): T | undefined;
  setMeta(key: string, value: unknown): void;
}

/** Cuts the case into `zones` zones (or the fewest meeting every deadline at peak load) with the delay partition. */
export function planZones(model: GridModel, zones: number | "auto"): ZonePlan {
  // Peak load: where deadlines are hardest to meet.
  const net = periodNetwork(model, 1);
  const sources = modelSources(model);
  const report = routeZones(net, sources, zones, {}, "delay");
  const cell = partition(net, sources, report.k, "delay");
  return {
    requested: zones,
    k: report.k,
    tried: report.tried,
    buses: Array.from(net.busIds),
    busZone: Array.from(cell),
  };
}

/**
 * The journal's zone plan, made and stored on first use. A journal started with other zones (or none) is
 * refused: its batches were cut by that plan.
 */
export function journaledZonePlan(journal: MetaStore, model: GridModel, zones: number | "auto"): ZonePlan {
  const saved = journal.getMeta<ZonePlan>("zones");
  if (saved) {
    if (saved.requested !== zones)
      throw new Error(`the journal was started with --zones ${saved.requested}, now --zones ${zones}: keep it`);
    const buses = model.loaded.grid.buses;
    if (saved.buses.length !== buses.length || saved.buses.some((id, i) => id !== buses[i].id))
      throw new Error(
        `the journal's zone plan is for other buses than case ${model.loaded.name}'s: use another journal`,
      );
    return saved;
  }
  const plan = planZones(model, zones);
  journal.setMeta("zones", plan);
  return plan;
}

/**
 * The zone of each terminal's records, by its bus. Terminals off every zone (an island without data sources,
 * or a terminal the case does not know) are batched with zone 0, so nothing is left unanchored.
 */
export function zoneOfTerminal(model: GridModel, plan: ZonePlan): (terminalId: string) => number {
  const busIndex = new Map(model.loaded.grid.buses.map((b, i) => [b.id, i]));
  const zones = new Map<string, number>();
  for (const t of model.terminals) {
    const i = busIndex.get(t.bus);
    zones.set(t.terminalId.toLowerCase(), i === undefined ? 0 : Math.max(0, plan.busZone[i]));
  }
  return (terminalId) => zones.get(terminalId.toLowerCase()) ?? 0;
}

/** What the report needs of a zoned period: per zone its generator and figures, and the totals. */
export function compactZones(report: ZonesReport) {
  return {
    k: report.k,
    deadlineViolations: report.deadlineViolations,
    maxBlockTimeMs: report.maxBlockTimeMs,
    lbNet: report.lbNet,
    zones: report.zones.map((z) => ({
      zone: z.zone,
      generator: z.generator,
      sources: z.sources,
      blockTimeMs: z.blockTimeMs,
      lbNet: z.lbNet,
      deadlineViolations: z.deadlineViolations + z.unreachable,
    })),
  };
}

/**
 * Stage "elect" with zones: routes each zone's sources on the period's load with QT-DR and elects each zone's
 * generator; the node terminal at that bus signs the zone's batches. A zone without data sources (its meters
 * still report) elects its lowest-id bus with a node terminal.
 */
export function electZones(
  model: GridModel,
  plan: ZonePlan,
  period: number,
  loadFactor: number,
  tBuildMs: number,
): Election {
  const net = periodNetwork(model, loadFactor);
  const report = routeZonesWithPartition(net, modelSources(model), Int32Array.from(plan.busZone), "delay", {
    tBuildMs,
  });
  const nodeAt = new Map(model.terminals.filter((t) => t.role === "node").map((t) => [t.bus, t.terminalId]));
  const zones = report.zones.map((z) => {
    const bus =
      z.generator ??
      model.loaded.grid.buses.find((b, i) => plan.busZone[i] === z.zone && nodeAt.has(b.id))?.id ??
      undefined;
    if (bus === undefined) throw new Error(`period ${period}: zone ${z.zone} has no node terminal to elect`);
    const terminalId = nodeAt.get(bus);
    if (!terminalId) throw new Error(`period ${period}: no terminal at zone ${z.zone}'s elected generator bus ${bus}`);
    return { zone: z.zone, generatorBus: bus, terminalId };
  });
  return {
    generatorBus: zones[0].generatorBus,
    terminalId: zones[0].terminalId,
    zones,
    routing: JSON.stringify({ algorithms: {}, zones: compactZones(report) }),
  };
}
