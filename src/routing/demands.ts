import { GridNetwork, nodeOf } from "../grid/network";
import { Source } from "../grid/sources";
import { RoutingOptions } from "./options";

/** A path as node indices (source first, generator last) and the links between them. */
export interface Path {
  nodes: number[];
  links: number[];
}

/** One source's block for the period, resolved against the network and the options. */
export interface Demand {
  /** Position in the caller's source list. */
  index: number;
  bus: number;
  /** Node index of the source. */
  node: number;
  bytes: number;
  deadlineS: number;
  /** Average load this block puts on each link of its path: bits per period. */
  rateBps: number;
  /** Packets per second it adds to each terminal queue it passes through. */
  pps: number;
}

/** Resolves sources to demands; names the offending source on bad input. */
export function buildDemands(net: GridNetwork, sources: readonly Source[], opts: RoutingOptions): Demand[] {
  return sources.map((s, index) => {
    const where = `sources[${index}]`;
    if (!Number.isFinite(s.bytes) || s.bytes < 0) throw new RangeError(`${where}.bytes must be >= 0, got ${s.bytes}`);
    if (s.deadlineMs !== undefined && !(s.deadlineMs > 0)) {
      throw new RangeError(`${where}.deadlineMs must be > 0, got ${s.deadlineMs}`);
    }
    return {
      index,
      bus: s.bus,
      node: nodeOf(net, s.bus, `${where}.bus`),
      bytes: s.bytes,
      deadlineS: s.deadlineMs !== undefined ? s.deadlineMs / 1000 : opts.deadlineS,
      rateBps: (s.bytes * 8) / opts.periodS,
      pps: Math.ceil(s.bytes / opts.packetBytes) / opts.periodS,
    };
  });
}

/** QT-DR's order (section 7 step 1): tightest deadline first, then largest block, then lowest bus id. */
export function orderDemands(demands: readonly Demand[]): Demand[] {
  return [...demands].sort((a, b) => a.deadlineS - b.deadlineS || b.bytes - a.bytes || a.bus - b.bus);
}
