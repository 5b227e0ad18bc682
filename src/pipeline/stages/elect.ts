import type { loadCase } from "../../grid/case";
import { buildNetwork } from "../../grid/network";
import { routePeriod } from "../../routing/api";
import type { ScenarioTerminal } from "../scenario";
import type { Election } from "./batch";

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

/** The grid a period is routed on: the case, its terminals and the background load of its links. */
export interface GridModel {
  loaded: ReturnType<typeof loadCase>;
  terminals: readonly ScenarioTerminal[];
  seed: number;
  backgroundMin: number;
  backgroundMax: number;
}

/**
 * Stage "elect": routes the period's data with QT-DR and the baselines (P003) and elects QT-DR's generator;
 * the node terminal at that bus signs the period's batch headers.
 */
export function electByRouting(model: GridModel, period: number, loadFactor: number, tBuildMs: number): Election {
  const background = {
    seed: model.seed,
    min: model.backgroundMin * loadFactor,
    max: model.backgroundMax * loadFactor,
  };
  const net = buildNetwork(model.loaded.name, model.loaded.grid, { background });
  const sources = model.terminals.filter((t) => t.source).map((t) => t.source!);
  const routing = routePeriod(net, sources, { tBuildMs });
  const generatorBus = routing.algorithms["QT-DR"]?.generator;
  if (generatorBus === undefined) throw new Error(`period ${period}: QT-DR elected no generator`);
  const generator = model.terminals.find((t) => t.role === "node" && t.bus === generatorBus);
  if (!generator) throw new Error(`period ${period}: no terminal at the elected generator bus ${generatorBus}`);
  return { generatorBus, terminalId: generator.terminalId, routing: JSON.stringify(compactRouting(routing)) };
}
