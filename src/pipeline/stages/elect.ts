import { routePeriod } from "../../routing/api";
import type { Election } from "./batch";
import { modelSources, periodNetwork, type GridModel } from "./gridModel";
import { electZones } from "./zones";

export type { GridModel };

/** What the report needs of a period's routing (the full report per period is large). */
export function compactRouting(routing: ReturnType<typeof routePeriod>) {
  const algorithms: Record<string, unknown> = {};
  for (const [name, r] of Object.entries(routing.algorithms)) {
    if (!r) continue;
    algorithms[name] = {
      generator: r.generator,
      blockTimeMs: r.blockTimeMs,
      lbNet: r.lbNet,
      lbUsed: r.lbUsed,
      maxUtil: r.maxUtil,
      meanUtil: r.meanUtil,
      deadlineViolations: r.deadlineViolations,
      links: r.links.map((l) => [l.from, l.to, Math.round(l.util * 1e4) / 1e4]),
    };
  }
  return { algorithms };
}

/**
 * Stage "elect": routes the period's data with QT-DR and the baselines (P003) and elects QT-DR's generator;
 * the node terminal at that bus signs the period's batch headers. With zones, each zone elects its own.
 */
export function electByRouting(model: GridModel, period: number, loadFactor: number, tBuildMs: number): Election {
  if (model.zones) return electZones(model, model.zones, period, loadFactor, tBuildMs);
  const routing = routePeriod(periodNetwork(model, loadFactor), modelSources(model), { tBuildMs });
  const generatorBus = routing.algorithms["QT-DR"]?.generator;
  if (generatorBus === undefined) throw new Error(`period ${period}: QT-DR elected no generator`);
  const generator = model.terminals.find((t) => t.role === "node" && t.bus === generatorBus);
  if (!generator) throw new Error(`period ${period}: no terminal at the elected generator bus ${generatorBus}`);
  return { generatorBus, terminalId: generator.terminalId, routing: JSON.stringify(compactRouting(routing)) };
}
