import { createRng } from "../common/rng";
import { GridCase } from "./case";

/** A fixed background load per link, drawn once from a seed (ALGORITHMS.md section 1). */
export interface BackgroundLoad {
  seed: number;
  /** Lowest background utilisation, as a fraction of the link bandwidth. */
  min: number;
  /** Highest background utilisation. */
  max: number;
}

/** Physical modelling choices of ALGORITHMS.md section 1; every field is overridable. */
export interface NetworkOptions {
  /** Link length per p.u. of branch reactance: the cases carry no geography. */
  kmPerPuReactance: number;
  minLengthKm: number;
  maxLengthKm: number;
  /** Signal speed in fibre. */
  propagationKmPerS: number;
  /** Bandwidth of every P2P link. */
  bandwidthBps: number;
  /** Fixed per-hop link latency `T_base`. */
  tBaseS: number;
  /** Background utilisation per link; null means none (the default). */
  background: BackgroundLoad | null;
}

export const DEFAULT_NETWORK_OPTIONS: Readonly<NetworkOptions> = Object.freeze({
  kmPerPuReactance: 400,
  minLengthKm: 1,
  maxLengthKm: 400,
  propagationKmPerS: 2e5,
  bandwidthBps: 1e9,
  tBaseS: 0.5e-3,
  background: null,
});

/**
 * The P2P network of CPPS terminals built from a case: one node per bus (index i holds bus
 * `busIds[i]`), one undirected link per bus pair joined by at least one in-service branch.
 * Links are stored as parallel typed arrays and a CSR adjacency, so routing on 10k buses stays fast.
 */
export interface GridNetwork {
  caseName: string;
  grid: GridCase;
  options: Readonly<NetworkOptions>;
  /** Number of nodes (buses). */
  n: number;
  busIds: Int32Array;
  indexOfBus: ReadonlyMap<number, number>;
  /** Number of links. */
  m: number;
  /** Link ends as node indices, in the orientation of the first branch that created the link. */
  linkA: Int32Array;
  linkB: Int32Array;
  lengthKm: Float64Array;
  bandwidthBps: Float64Array;
  backgroundBps: Float64Array;
  /** `T_base + L / v` per link, seconds. */
  fixedDelayS: Float64Array;
  /** CSR adjacency: neighbours of node i are adjNode[adjStart[i] .. adjStart[i+1]), over adjLink. */
  adjStart: Int32Array;
  adjNode: Int32Array;
  adjLink: Int32Array;
  /** Connected component id per node (islands); components are numbered from 0. */
  component: Int32Array;
  componentCount: number;
  /** Fastest incident link per node (the default bandwidth for an isolated node). */
  nodeBandwidthBps: Float64Array;
}

function checkOptions(o: NetworkOptions): void {
  const positive: (keyof NetworkOptions)[] = [
    "kmPerPuReactance",
    "minLengthKm",
    "maxLengthKm",
    "propagationKmPerS",
    "bandwidthBps",
  ];
  for (const k of positive) {
    if (!(Number(o[k]) > 0)) throw new RangeError(`network option ${k} must be > 0, got ${String(o[k])}`);
  }
  if (!(o.tBaseS >= 0)) throw new RangeError(`network option tBaseS must be >= 0, got ${o.tBaseS}`);
  if (o.minLengthKm > o.maxLengthKm) throw new RangeError(`network option minLengthKm exceeds maxLengthKm`);
  const bg = o.background;
  if (bg && !(bg.min >= 0 && bg.min <= bg.max && bg.max < 1)) {
    throw new RangeError(`network option background needs 0 <= min <= max < 1, got ${bg.min}..${bg.max}`);
  }
}

/** Labels connected components by breadth-first search. */
function components(n: number, adjStart: Int32Array, adjNode: Int32Array): { component: Int32Array; count: number } {
  const component = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  let count = 0;
  for (let s = 0; s < n; s++) {
    if (component[s] >= 0) continue;
    let head = 0;
    let tail = 0;
    queue[tail++] = s;
    component[s] = count;
    while (head < tail) {
      const u = queue[head++];
      for (let k = adjStart[u]; k < adjStart[u + 1]; k++) {
        const v = adjNode[k];
        if (component[v] < 0) {
          component[v] = count;
          queue[tail++] = v;
        }
      }
    }
    count++;
  }
  return { component, count };
}

/**
 * Compressed adjacency of n nodes over links (a, b): node u's neighbours are adjNode[adjStart[u]..adjStart[u+1]),
 * reached through adjLink. A node's bandwidth is its fastest link's (the default for an isolated node).
 */
function adjacency(
  n: number,
  linkA: Int32Array,
  linkB: Int32Array,
  bandwidthBps: Float64Array,
  options: NetworkOptions,
): Pick<GridNetwork, "adjStart" | "adjNode" | "adjLink" | "nodeBandwidthBps"> {
  const m = linkA.length;
  const adjStart = new Int32Array(n + 1);
  for (let l = 0; l < m; l++) {
    adjStart[linkA[l] + 1]++;
    adjStart[linkB[l] + 1]++;
  }
  for (let i = 0; i < n; i++) adjStart[i + 1] += adjStart[i];
  const fill = adjStart.slice(0, n);
  const adjNode = new Int32Array(2 * m);
  const adjLink = new Int32Array(2 * m);
  const nodeBandwidthBps = new Float64Array(n);
  for (let l = 0; l < m; l++) {
    const a = linkA[l];
    const b = linkB[l];
    adjNode[fill[a]] = b;
    adjLink[fill[a]++] = l;
    adjNode[fill[b]] = a;
    adjLink[fill[b]++] = l;
    nodeBandwidthBps[a] = Math.max(nodeBandwidthBps[a], bandwidthBps[l]);
    nodeBandwidthBps[b] = Math.max(nodeBandwidthBps[b], bandwidthBps[l]);
  }
  for (let i = 0; i < n; i++) if (nodeBandwidthBps[i] === 0) nodeBandwidthBps[i] = options.bandwidthBps;
  return { adjStart, adjNode, adjLink, nodeBandwidthBps };
}

/**
 * Builds the P2P network of a case (ALGORITHMS.md section 1). Out-of-service branches are left out,
 * parallel branches (and transformers) merge into one link whose length uses the smallest |x|
 * (the shortest corridor), and self-loops are ignored. Islands stay in the network; `component`
 * tells routing which sources can reach which nodes.
 */
export function buildNetwork(caseName: string, grid: GridCase, overrides: Partial<NetworkOptions> = {}): GridNetwork {
  const options: NetworkOptions = { ...DEFAULT_NETWORK_OPTIONS, ...overrides };
  checkOptions(options);
  const n = grid.buses.length;
  const busIds = Int32Array.from(grid.buses, (b) => b.id);
  const indexOfBus = new Map<number, number>();
  busIds.forEach((id, i) => indexOfBus.set(id, i));

  const linkOfPair = new Map<number, number>();
  const ends: number[] = [];
  const minAbsX: number[] = [];
  for (const br of grid.branches) {
    if (br.status !== 1 || br.from === br.to) continue;
    const a = indexOfBus.get(br.from)!;
    const b = indexOfBus.get(br.to)!;
    const key = Math.min(a, b) * n + Math.max(a, b);
    const existing = linkOfPair.get(key);
    if (existing === undefined) {
      linkOfPair.set(key, minAbsX.length);
      ends.push(a, b);
      minAbsX.push(Math.abs(br.x));
    } else {
      minAbsX[existing] = Math.min(minAbsX[existing], Math.abs(br.x));
    }
  }
  const m = minAbsX.length;
  const linkA = new Int32Array(m);
  const linkB = new Int32Array(m);
  const lengthKm = new Float64Array(m);
  const bandwidthBps = new Float64Array(m).fill(options.bandwidthBps);
  const backgroundBps = new Float64Array(m);
  const fixedDelayS = new Float64Array(m);
  const bgRng = options.background ? createRng(options.background.seed).fork("background") : undefined;
  for (let l = 0; l < m; l++) {
    linkA[l] = ends[2 * l];
    linkB[l] = ends[2 * l + 1];
    const km = Math.min(options.maxLengthKm, Math.max(options.minLengthKm, minAbsX[l] * options.kmPerPuReactance));
    lengthKm[l] = km;
    fixedDelayS[l] = options.tBaseS + km / options.propagationKmPerS;
    if (bgRng && options.background) {
      const { min, max } = options.background;
      backgroundBps[l] = (min + (max - min) * bgRng.next()) * bandwidthBps[l];
    }
  }
  const { adjStart, adjNode, adjLink, nodeBandwidthBps } = adjacency(n, linkA, linkB, bandwidthBps, options);
  const { component, count } = components(n, adjStart, adjNode);
  return {
    caseName,
    grid,
    options,
    n,
    busIds,
    indexOfBus,
    m,
    linkA,
    linkB,
    lengthKm,
    bandwidthBps,
    backgroundBps,
    fixedDelayS,
    adjStart,
    adjNode,
    adjLink,
    component,
    componentCount: count,
    nodeBandwidthBps,
  };
}

/**
 * The network induced by a subset of nodes (a zone): those nodes, the links with both ends among them and the
 * parent's per-link figures (length, delay, bandwidth, background). Nodes and links keep the parent's order, so
 * the result equals `buildNetwork` on the sub-case, without re-reading the case: on a 10k-bus grid cut into
 * hundreds of zones, rebuilding each zone from the case's branch list cost more than routing it.
 * `parentLink[l]` is the parent's index of link l.
 */
export function subNetwork(
  parent: GridNetwork,
  name: string,
  nodes: readonly number[],
  grid: GridCase,
): GridNetwork & { parentLink: Int32Array } {
  const sorted = Int32Array.from(nodes).sort();
  const n = sorted.length;
  const local = new Map<number, number>();
  sorted.forEach((v, i) => local.set(v, i));
  const links: number[] = [];
  for (const v of sorted)
    for (let c = parent.adjStart[v]; c < parent.adjStart[v + 1]; c++) {
      const l = parent.adjLink[c];
      if (parent.linkA[l] === v && local.has(parent.adjNode[c])) links.push(l);
    }
  const parentLink = Int32Array.from(links).sort();
  const m = parentLink.length;
  const pick = (src: Float64Array) => Float64Array.from(parentLink, (l) => src[l]);
  const linkA = Int32Array.from(parentLink, (l) => local.get(parent.linkA[l])!);
  const linkB = Int32Array.from(parentLink, (l) => local.get(parent.linkB[l])!);
  const bandwidthBps = pick(parent.bandwidthBps);
  const { adjStart, adjNode, adjLink, nodeBandwidthBps } = adjacency(n, linkA, linkB, bandwidthBps, parent.options);
  const busIds = Int32Array.from(sorted, (v) => parent.busIds[v]);
  const indexOfBus = new Map<number, number>();
  busIds.forEach((id, i) => indexOfBus.set(id, i));
  const { component, count } = components(n, adjStart, adjNode);
  return {
    caseName: name,
    grid,
    options: parent.options,
    n,
    busIds,
    indexOfBus,
    m,
    linkA,
    linkB,
    lengthKm: pick(parent.lengthKm),
    bandwidthBps,
    backgroundBps: pick(parent.backgroundBps),
    fixedDelayS: pick(parent.fixedDelayS),
    adjStart,
    adjNode,
    adjLink,
    component,
    componentCount: count,
    nodeBandwidthBps,
    parentLink,
  };
}

/** Node index of a bus id, or a clear error. */
export function nodeOf(net: GridNetwork, bus: number, what = "bus"): number {
  const i = net.indexOfBus.get(bus);
  if (i === undefined) throw new RangeError(`${what} ${bus} is not a bus of ${net.caseName}`);
  return i;
}
