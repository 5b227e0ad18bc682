import type { loadCase } from "../../grid/case";
import { buildNetwork, type GridNetwork } from "../../grid/network";
import type { Source } from "../../grid/sources";
import type { ScenarioTerminal } from "../scenario";

/** A grid cut into zones, fixed when a run or a gateway journal starts (see stages/zones.ts). */
export interface ZonePlan {
  /** What was asked: a zone count or "auto" (the fewest zones meeting every deadline at peak load). */
  requested: number | "auto";
  k: number;
  /** `auto`'s probes: every k tried and its deadline violations. */
  tried: { k: number; deadlineViolations: number }[];
  /** The case's bus ids, in its order. */
  buses: number[];
  /** Zone of each of those buses (-1: an island without data sources). */
  busZone: number[];
}

/** The grid a period is routed on: the case, its terminals and the background load of its links. */
export interface GridModel {
  loaded: ReturnType<typeof loadCase>;
  terminals: readonly ScenarioTerminal[];
  seed: number;
  backgroundMin: number;
  backgroundMax: number;
  /** Zones, each with its own generator (`grid:run --zones`, `grid:serve --zones`); absent: one generator. */
  zones?: ZonePlan;
}

/** The network of a period whose load is `loadFactor` of the peak (background scales with the load). */
export function periodNetwork(model: GridModel, loadFactor: number): GridNetwork {
  const background = {
    seed: model.seed,
    min: model.backgroundMin * loadFactor,
    max: model.backgroundMax * loadFactor,
  };
  return buildNetwork(model.loaded.name, model.loaded.grid, { background });
}

/** The data sources of the model's terminals (P003: the blocks routed each period). */
export const modelSources = (model: GridModel): Source[] =>
  model.terminals.filter((t) => t.source).map((t) => t.source!);
