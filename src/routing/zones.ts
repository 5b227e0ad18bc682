import { GridCase } from "../grid/case";
import { GridNetwork, subNetwork } from "../grid/network";
import { Source } from "../grid/sources";
import { AlgorithmName } from "./algorithms";
import { routePeriod } from "./api";
import { qtdrRoutes } from "./algorithms/qtdr";
import { RoutingContext } from "./context";
import { buildDemands } from "./demands";
import { evaluateRoutes } from "./evaluate";
import { MinHeap } from "./heap";
import { resolveRoutingOptions, RoutingOptions } from "./options";

/**
 * Zones with several block generators (issue 15 part 4). One generator cannot take a large grid's
 * traffic: ~1,400 blocks of ~9 MB/s into one bus with a handful of 1 Gbit/s links, most sources more
 * than 16 hops away. Real grids aggregate per zone or substation, so the grid is cut into k zones,
 * each routes its own sources to its own elected generator (QT-DR inside the zone, on the zone's
 * buses and links only), and each zone's generator signs and anchors its own batches.
 *
 * Partition ("delay"): k-centre seeds among the sources by farthest-first traversal on the static
 * delay of the largest block, then Voronoi cells of a multi-source Dijkstra from the seeds (a node
 * joins its shortest-path parent's zone, so every zone is connected). Farthest-first is the classic
 * 2-approximation of the smallest maximum distance to a centre, which is what deadlines and the hop
 * bound care about. Baseline ("bfs"): the buses in breadth-first order from the lowest bus id, cut
 * into k chunks of equal size: simple, but blind to where the sources are.
 */

export type ZoneMethod = "delay" | "bfs";

/** Parses a `--zones` value: "auto" or a positive integer, naming the option on bad input. */
export function parseZoneCount(value: string, option = "--zones"): number | "auto" {
  if (value.trim().toLowerCase() === "auto") return "auto";
  const k = Number(value);
  if (!Number.isInteger(k) || k < 1) throw new Error(`${option} must be "auto" or an integer >= 1, got "${value}"`);
  return k;
}

export interface ZoneResult {
  zone: number;
  /** Elected generator bus of the zone (null when the zone has no sources). */
  generator: number | null;
  buses: number;
  links: number;
  sources: number;
  blockTimeMs: number;
  /** LB_net over the zone's links, Mbit/s. */
  lbNet: number;
  deadlineViolations: number;
  /** Sources the zone's generator cannot reach (the zone is not connected); counted as violations in the total. */
  unreachable: number;
}

export interface ZonesReport {
  case: string;
  method: ZoneMethod;
  k: number;
  algorithm: AlgorithmName;
  zones: ZoneResult[];
  /** False when a probe of `auto` stopped at the first zone with a violation (totals then cover the zones routed). */
  complete: boolean;
  /** Sources in an island without a zone (k below the number of islands with sources). */
  unassigned: number;
  /** Deadline violations over all zones, unreachable and unassigned sources included. */
  deadlineViolations: number;
  /** Slowest zone's block time, ms (zones build their blocks in parallel). */
  maxBlockTimeMs: number;
  /** LB_net over every link of the whole network (links between zones carry nothing), Mbit/s. */
  lbNet: number;
  /** For `auto`: every k tried with its violations (a lower count when the probe stopped early), in the order tried. */
  tried: { k: number; deadlineViolations: number }[];
  runtimeMs: number;
}

/** Static delay of one hop for a block of `bytes`: `T_base + L/v + 8 D / B` (section 8, QoS-R's weight). */
function staticDelays(net: GridNetwork, bytes: number): Float64Array {
  const w = new Float64Array(net.m);
  for (let l = 0; l < net.m; l++) w[l] = net.fixedDelayS[l] + (8 * bytes) / net.bandwidthBps[l];
  return w;
}

/** Multi-source Dijkstra: distance to the nearest seed and the seed's index (-1 when unreachable). */
function voronoi(
  net: GridNetwork,
  seeds: readonly number[],
  w: Float64Array,
): { dist: Float64Array; cell: Int32Array } {
  const dist = new Float64Array(net.n).fill(Infinity);
  const cell = new Int32Array(net.n).fill(-1);
  const heap = new MinHeap();
  seeds.forEach((s, i) => {
    dist[s] = 0;
    cell[s] = i;
    heap.push(0, s);
  });
  while (heap.size > 0) {
    const d = heap.peekKey();
    const v = heap.pop();
    if (d > dist[v]) continue;
    for (let c = net.adjStart[v]; c < net.adjStart[v + 1]; c++) {
      const u = net.adjNode[c];
      const nd = d + w[net.adjLink[c]];
      if (nd < dist[u]) {
        dist[u] = nd;
        cell[u] = cell[v];
        heap.push(nd, u);
      }
    }
  }
  return { dist, cell };
}

/**
 * Farthest-first order of the sources on the static delay of the largest block: seed i + 1 is the
 * source farthest from seeds 0..i (unreachable ones first, since another island needs its own zone).
 * The first k seeds are the k-centre seeds for every k, so the order is computed once. Each new
 * seed updates distances by a Dijkstra pruned to the nodes it brings closer.
 */
export function seedOrder(net: GridNetwork, sourceNodes: readonly number[], w: Float64Array): number[] {
  const dist = new Float64Array(net.n).fill(Infinity);
  const heap = new MinHeap();
  const seeds: number[] = [];
  const isSeed = new Uint8Array(net.n);
  const add = (s: number): void => {
    seeds.push(s);
    isSeed[s] = 1;
    dist[s] = 0;
    heap.clear();
    heap.push(0, s);
    while (heap.size > 0) {
      const d = heap.peekKey();
      const v = heap.pop();
      if (d > dist[v]) continue;
      for (let c = net.adjStart[v]; c < net.adjStart[v + 1]; c++) {
        const u = net.adjNode[c];
        const nd = d + w[net.adjLink[c]];
        if (nd < dist[u]) {
          dist[u] = nd;
          heap.push(nd, u);
        }
      }
    }
  };
  add(Math.min(...sourceNodes));
  for (;;) {
    let far = -1;
    for (const s of sourceNodes) {
      if (isSeed[s]) continue;
      if (far < 0 || dist[s] > dist[far] || (dist[s] === dist[far] && s < far)) far = s;
    }
    if (far < 0) break;
    add(far);
  }
  return seeds;
}

/** Static hop delay of the largest block, the partition's distance. */
function partitionWeights(net: GridNetwork): Float64Array {
  return staticDelays(net, PARTITION_BLOCK_BYTES);
}

/** Block size the delay partition prices hops for: the largest of the default source sizes. */
const PARTITION_BLOCK_BYTES = 14e6;

/** Zone of every node by the baseline: breadth-first order from the lowest bus id, cut into k equal chunks. */
export function bfsPartition(net: GridNetwork, k: number): Int32Array {
  const order: number[] = [];
  const seen = new Uint8Array(net.n);
  for (let root = 0; root < net.n; root++) {
    if (seen[root]) continue;
    seen[root] = 1;
    order.push(root);
    for (let head = order.length - 1; head < order.length; head++) {
      const v = order[head];
      for (let c = net.adjStart[v]; c < net.adjStart[v + 1]; c++) {
        const u = net.adjNode[c];
        if (!seen[u]) {
          seen[u] = 1;
          order.push(u);
        }
      }
    }
  }
  const cell = new Int32Array(net.n);
  const size = Math.ceil(net.n / k);
  order.forEach((v, i) => (cell[v] = Math.floor(i / size)));
  return cell;
}

/** Buses, generators and branches of each zone (both ends inside), in the case's order. */
function zoneCases(net: GridNetwork, cell: Int32Array, k: number): { nodes: number[][]; cases: GridCase[] } {
  const g = net.grid;
  const nodes: number[][] = Array.from({ length: k }, () => []);
  const cases: GridCase[] = Array.from({ length: k }, (_, z) => ({
    ...g,
    name: `${g.name}-zone${z}`,
    buses: [],
    generators: [],
    branches: [],
  }));
  const zoneOfBus = (bus: number): number => {
    const v = net.indexOfBus.get(bus);
    return v === undefined ? -1 : cell[v];
  };
  for (let v = 0; v < net.n; v++) if (cell[v] >= 0) nodes[cell[v]].push(v);
  for (const b of g.buses) {
    const z = zoneOfBus(b.id);
    if (z >= 0) cases[z].buses.push(b);
  }
  for (const x of g.generators) {
    const z = zoneOfBus(x.bus);
    if (z >= 0) cases[z].generators.push(x);
  }
  for (const b of g.branches) {
    const z = zoneOfBus(b.from);
    if (z >= 0 && z === zoneOfBus(b.to)) cases[z].branches.push(b);
  }
  return { nodes, cases };
}

/** The zone link between two adjacent buses of a zone network. */
function linkBetween(zn: GridNetwork, busA: number, busB: number): number {
  const a = zn.indexOfBus.get(busA)!;
  const b = zn.indexOfBus.get(busB)!;
  for (let c = zn.adjStart[a]; c < zn.adjStart[a + 1]; c++) if (zn.adjNode[c] === b) return zn.adjLink[c];
  throw new Error(`zones: route hop ${busA}-${busB} is not a link of ${zn.caseName}`);
}

/** A zone's routing as `auto`'s probes reuse it: its figures and the load it puts on the parent's links. */
interface RoutedZone {
  result: Omit<ZoneResult, "zone">;
  /** Pairs (parent link, routed bit/s). */
  loads: number[];
}

/**
 * Zone routings by node set, shared by the probes of one `auto` search (same network, sources and options):
 * a zone's routing depends only on its buses, so most zones of k + 1 seeds are those of k, already routed.
 */
export type ZoneCache = Map<string, RoutedZone>;

/** Routes one zone's sources on the zone's buses and links (keeping the whole network's figures on them). */
function routeZone(
  net: GridNetwork,
  sub: GridCase,
  nodes: readonly number[],
  zs: readonly Source[],
  options: Partial<RoutingOptions>,
  algorithm: AlgorithmName,
  periodS: number,
): RoutedZone {
  if (zs.length === 0) {
    const result = { generator: null, buses: nodes.length, links: 0, sources: 0, blockTimeMs: 0, lbNet: 0 };
    return { result: { ...result, deadlineViolations: 0, unreachable: 0 }, loads: [] };
  }
  const zn = subNetwork(net, sub.name, nodes, sub);
  const r = routePeriod(zn, zs, options, [algorithm]).algorithms[algorithm]!;
  const loads: number[] = [];
  for (const route of r.routes)
    for (let i = 0; i + 1 < route.path.length; i++)
      loads.push(zn.parentLink[linkBetween(zn, route.path[i], route.path[i + 1])], (route.bytes * 8) / periodS);
  const result = {
    generator: r.generator,
    buses: zn.n,
    links: zn.m,
    sources: zs.length,
    blockTimeMs: r.blockTimeMs,
    lbNet: r.lbNet,
    deadlineViolations: r.deadlineViolations,
    unreachable: r.unreachable.length,
  };
  return { result, loads };
}

/** The sources of each of the k zones, and how many sit at buses no zone holds; a bus not in the case throws. */
function sourcesByZone(net: GridNetwork, sources: readonly Source[], cell: Int32Array, k: number) {
  const byZone: Source[][] = Array.from({ length: k }, () => []);
  let unassigned = 0;
  sources.forEach((s, i) => {
    const v = net.indexOfBus.get(s.bus);
    if (v === undefined) throw new RangeError(`zones: sources[${i}].bus ${s.bus} is not a bus of ${net.caseName}`);
    if (cell[v] < 0) unassigned++;
    else byZone[cell[v]].push(s);
  });
  return { byZone, unassigned };
}

/** Routes every zone with `algorithm` and sums up. */
export function routeZonesWithPartition(
  net: GridNetwork,
  sources: readonly Source[],
  cell: Int32Array,
  method: ZoneMethod,
  options: Partial<RoutingOptions> = {},
  algorithm: AlgorithmName = "QT-DR",
  stopOnViolation = false,
  cache?: ZoneCache,
): ZonesReport {
  const start = performance.now();
  const k = cell.reduce((a, c) => Math.max(a, c + 1), 0);
  const zones: ZoneResult[] = [];
  const periodS = resolvePeriod(options);
  const routedBps = new Float64Array(net.m);
  const { byZone, unassigned } = sourcesByZone(net, sources, cell, k);
  const { nodes, cases } = zoneCases(net, cell, k);
  // Largest zones first: with stopOnViolation (auto's probes), a failing k is usually found at once.
  const order = Array.from({ length: k }, (_, z) => z).sort((a, b) => byZone[b].length - byZone[a].length || a - b);
  let complete = true;
  let violated = unassigned > 0;
  for (const z of order) {
    if (stopOnViolation && violated) {
      complete = false;
      break;
    }
    const key = cache ? nodes[z].join(",") : "";
    const routed = cache?.get(key) ?? routeZone(net, cases[z], nodes[z], byZone[z], options, algorithm, periodS);
    if (cache && !cache.has(key)) cache.set(key, routed);
    for (let i = 0; i < routed.loads.length; i += 2) routedBps[routed.loads[i]] += routed.loads[i + 1];
    zones.push({ zone: z, ...routed.result });
    violated ||= routed.result.deadlineViolations + routed.result.unreachable > 0;
  }
  let s1 = 0;
  let s2 = 0;
  for (let l = 0; l < net.m; l++) {
    const rb = (net.bandwidthBps[l] - net.backgroundBps[l] - routedBps[l]) / 1e6;
    s1 += rb;
    s2 += rb * rb;
  }
  const lbNet = net.m > 0 ? Math.sqrt(Math.max(0, s2 / net.m - (s1 / net.m) ** 2)) : 0;
  zones.sort((a, b) => a.zone - b.zone);
  return {
    complete,
    case: net.caseName,
    method,
    k,
    algorithm,
    zones,
    deadlineViolations: unassigned + zones.reduce((a, z) => a + z.deadlineViolations + z.unreachable, 0),
    unassigned,
    maxBlockTimeMs: zones.reduce((a, z) => Math.max(a, z.blockTimeMs), 0),
    lbNet,
    tried: [],
    runtimeMs: performance.now() - start,
  };
}

function resolvePeriod(options: Partial<RoutingOptions>): number {
  return resolveRoutingOptions(options).periodS;
}

/**
 * Fewest zones any partition needs: every routed bit enters some generator over its links, so k
 * generators take at most the k largest per-bus link capacities, and sources in different islands
 * cannot share a generator.
 */
export function minimumZones(net: GridNetwork, sources: readonly Source[], options: Partial<RoutingOptions>): number {
  const periodS = resolvePeriod(options);
  const total = sources.reduce((a, s) => a + (s.bytes * 8) / periodS, 0);
  const caps = Array.from({ length: net.n }, (_, v) => {
    let c = 0;
    for (let a = net.adjStart[v]; a < net.adjStart[v + 1]; a++) c += net.bandwidthBps[net.adjLink[a]];
    return c;
  }).sort((a, b) => b - a);
  let k = 0;
  for (let taken = 0; k < caps.length && taken < total; k++) taken += caps[k];
  const islands = new Set(sources.map((s) => net.component[net.indexOfBus.get(s.bus)!])).size;
  return Math.max(1, k, islands);
}

/** Zone of every node for a method and k (`seeds`: the farthest-first order, for the delay method). */
export function partition(
  net: GridNetwork,
  sources: readonly Source[],
  k: number,
  method: ZoneMethod,
  seeds?: readonly number[],
): Int32Array {
  if (method === "bfs") return bfsPartition(net, k);
  const w = partitionWeights(net);
  const order = seeds ?? seedOrder(net, [...new Set(sources.map((s) => net.indexOfBus.get(s.bus)!))], w);
  return voronoi(net, order.slice(0, k), w).cell;
}

/**
 * Partitions into `k` zones (or, for "auto", the smallest k whose routing meets every deadline) and
 * routes each zone. "auto" doubles k from `minimumZones` until every deadline holds, then bisects
 * between the last failing and the first passing k. Bisection assumes fewer violations with more
 * zones, which holds in the large but not strictly (a new seed reshapes every cell), so the k found
 * is the smallest passing one among those tried; one source per zone always passes.
 */
export function routeZones(
  net: GridNetwork,
  sources: readonly Source[],
  k: number | "auto",
  options: Partial<RoutingOptions> = {},
  method: ZoneMethod = "delay",
  algorithm: AlgorithmName = "QT-DR",
): ZonesReport {
  const start = performance.now();
  if (sources.length === 0) throw new RangeError(`zones on ${net.caseName}: no sources`);
  const sourceBuses = new Set(sources.map((s) => s.bus)).size;
  const seeds =
    method === "delay"
      ? seedOrder(net, [...new Set(sources.map((s) => net.indexOfBus.get(s.bus)!))], partitionWeights(net))
      : undefined;
  const cache: ZoneCache = new Map();
  const run = (kk: number): ZonesReport =>
    routeZonesWithPartition(net, sources, partition(net, sources, kk, method, seeds), method, options, algorithm);
  if (k !== "auto") {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`zones: k must be an integer >= 1 or "auto", got ${k}`);
    const r = run(k);
    return {
      ...r,
      tried: [{ k: r.k, deadlineViolations: r.deadlineViolations }],
      runtimeMs: performance.now() - start,
    };
  }
  const tried: { k: number; deadlineViolations: number }[] = [];
  const attempt = (kk: number): ZonesReport => {
    const r = routeZonesWithPartition(
      net,
      sources,
      partition(net, sources, kk, method, seeds),
      method,
      options,
      algorithm,
      true,
      cache,
    );
    tried.push({ k: kk, deadlineViolations: r.deadlineViolations });
    return r;
  };
  let lo = minimumZones(net, sources, options) - 1; // largest k known to fail (0: none tried)
  let hi = Math.min(sourceBuses, lo + 1);
  let best = attempt(hi);
  while (best.deadlineViolations > 0 && hi < sourceBuses) {
    lo = hi;
    hi = Math.min(sourceBuses, hi * 2);
    best = attempt(hi);
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const r = attempt(mid);
    if (r.deadlineViolations === 0) {
      hi = mid;
      best = r;
    } else lo = mid;
  }
  return { ...best, tried, runtimeMs: performance.now() - start };
}

/** A candidate generator of a zone, scored as QT-DR scores the generators it tries (section 7 step 5). */
export interface CandidateScore {
  bus: number;
  /** Sources of the zone in other islands than the candidate (QT-DR tries those reaching the most first). */
  unreachable: number;
  blockTimeMs: number;
  lbNet: number;
  deadlineViolations: number;
}

/**
 * QT-DR's generator choice among given buses: for each zone, its greedy (steps 1-4) towards each candidate bus on
 * the zone's network, scored like QT-DR compares the generators it tries. The best comes first: fewest unreachable
 * sources, then the smallest block time, then the smallest LB_net; ties keep the given order. A zone without
 * sources (its meters still report) keeps the given order.
 */
export function rankZoneCandidates(
  net: GridNetwork,
  sources: readonly Source[],
  cell: Int32Array,
  candidates: ReadonlyMap<number, readonly number[]>,
  options: Partial<RoutingOptions> = {},
): Map<number, CandidateScore[]> {
  const k = cell.reduce((a, c) => Math.max(a, c + 1), 0);
  const { byZone } = sourcesByZone(net, sources, cell, k);
  const { nodes, cases } = zoneCases(net, cell, k);
  const opts = resolveRoutingOptions(options);
  const ranked = new Map<number, CandidateScore[]>();
  for (const [zone, buses] of candidates) {
    const unscored = (bus: number): CandidateScore => ({
      bus,
      unreachable: 0,
      blockTimeMs: 0,
      lbNet: 0,
      deadlineViolations: 0,
    });
    if (zone < 0 || zone >= k || byZone[zone].length === 0) {
      ranked.set(zone, buses.map(unscored));
      continue;
    }
    const zn = subNetwork(net, cases[zone].name, nodes[zone], cases[zone]);
    const demands = buildDemands(zn, byZone[zone], opts);
    const ctx = new RoutingContext(zn, opts, demands);
    const scores = buses.map((bus): CandidateScore => {
      const g = zn.indexOfBus.get(bus);
      if (g === undefined) throw new RangeError(`zones: candidate bus ${bus} is not in zone ${zone}`);
      const ev = evaluateRoutes(zn, opts, demands, g, qtdrRoutes(ctx, ctx.view(g)), ctx.search);
      return {
        bus,
        unreachable: ev.unreachable.length,
        blockTimeMs: ev.blockTimeMs,
        lbNet: ev.lbNet,
        deadlineViolations: ev.deadlineViolations,
      };
    });
    // Array.prototype.sort is stable: equal scores keep the given order.
    scores.sort((a, b) => a.unreachable - b.unreachable || a.blockTimeMs - b.blockTimeMs || a.lbNet - b.lbNet);
    ranked.set(zone, scores);
  }
  return ranked;
}
