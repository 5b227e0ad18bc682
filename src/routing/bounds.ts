import loadHighs, { type Highs, type ModelData } from "highs";
import { GridNetwork } from "../grid/network";
import { RoutingContext } from "./context";
import { cheapestAdmissiblePath, DemandRegion, demandRegion, hopLowerBounds } from "./layered";

/**
 * Proven lower bounds on LB_net and on the maximum link utilisation (issue 15 part 1).
 *
 * For one generator g, a routing with no deadline or hop violation sends each demand along one
 * admissible path (`layered.ts`: at most Hop_br hops, and the sum of per-hop delay lower bounds,
 * valid under any load, meets the deadline). Relaxing "one path" to "any split over admissible
 * paths" gives a convex QP: minimise LB_net^2 = var_l(RB0_l - x_l) over the link loads x. Its optimum
 * bounds every single-path routing to g from below; the minimum over generators bounds every routing.
 *
 * Why column generation over paths, not an arc flow on hop-indexed layers: we tried the layered arc
 * flow first, and it bounds nothing. Split flows on walks may bounce over lightly loaded links
 * (u -> v -> u), which flattens the link loads and drives the variance to ~0 on IEEE 14. Simple paths
 * are what makes the bound bite, and the path sets are huge (routings of 16 hops on IEEE 57), so
 * paths enter as columns: HiGHS solves the restricted master QP, an exact depth-first branch and
 * bound finds each demand's cheapest admissible simple path under the objective's gradient.
 *
 * Certification does not trust the solver: at the master's loads x, convexity gives for every
 * feasible y `f(y) >= f(x) + grad f(x) . (y - x)`, and the minimum of the right-hand side separates
 * into one cheapest admissible path per demand (the pricing). That Frank-Wolfe dual bound is what we
 * report; the master QP is the primal side and their difference is the certified gap. If a pricing
 * search is cut short it contributes the cheapest-walk bound instead, which stays valid.
 */

export interface BoundOptions {
  /** Column-generation rounds per generator (each: one HiGHS solve, one pricing per demand). */
  maxRounds: number;
  /** Stop a generator's column generation at this relative gap between its QP and its dual bound. */
  tolerance: number;
  /** Node expansions of one exact pricing search before it falls back to its (valid, weaker) walk bound. */
  maxExpansions: number;
}

export const DEFAULT_BOUND_OPTIONS: Readonly<BoundOptions> = Object.freeze({
  maxRounds: 60,
  tolerance: 1e-3,
  maxExpansions: 200_000,
});

export interface GeneratorBound {
  /** Bus of the generator. */
  generator: number;
  /** Certified lower bound on LB_net of any deadline- and hop-feasible routing to this generator, Mbit/s. */
  lbNetLower: number;
  /** LB_net of the best split-flow routing found (the last restricted master QP), Mbit/s. */
  lbNetSplit: number;
  /** Lower bound on the maximum link utilisation (background + routed) of any such routing. */
  maxUtilLower: number;
  /** Column-generation rounds of the LB_net QP, and path columns at the end. */
  rounds: number;
  columns: number;
}

export interface CaseBounds {
  case: string;
  /** Certified lower bound on LB_net over every generator and every feasible routing, Mbit/s. */
  lbNet: number;
  /** Generator attaining it (the bound of every other generator is at least as large). */
  lbNetGenerator: number;
  /** Best split-flow LB_net found at a solved generator: the bound is within `gap` of this relaxation optimum. */
  lbNetSplit: number;
  /** `(lbNetSplit - lbNet) / lbNetSplit` at the bound's generator: how far the dual bound is from its own QP. */
  gap: number;
  /** Lower bound on the min-max link utilisation of any feasible routing. */
  maxUtil: number;
  maxUtilGenerator: number;
  /** Generators considered (those reaching the most sources), infeasible ones (some demand has no feasible walk). */
  generators: number;
  infeasibleGenerators: number;
  perGenerator: GeneratorBound[];
  runtimeMs: number;
}

let highsInstance: Promise<Highs> | undefined;
/** HiGHS compiled to WebAssembly, loaded once per process. */
function highs(): Promise<Highs> {
  highsInstance ??= loadHighs();
  return highsInstance;
}

/** One generator's relaxation: each demand's admissible region and its columns (paths) so far. */
interface Master {
  g: number;
  regions: DemandRegion[];
  /** Rate per demand, Mbit/s. */
  rate: Float64Array;
  /** Column paths (link lists) per demand. */
  paths: number[][][];
  keys: Set<string>[];
  /** RB0 per link, Mbit/s. */
  rb0: Float64Array;
  bandwidth: Float64Array;
  background: Float64Array;
}

function master(ctx: RoutingContext, g: number, o: BoundOptions): Master | null {
  const { net, opts } = ctx;
  const view = ctx.view(g);
  const hl = hopLowerBounds(net, opts, view.reachable);
  const regions: DemandRegion[] = [];
  for (const d of view.reachable) {
    if (d.node === g || d.rateBps === 0) continue;
    const r = demandRegion(net, opts, hl, g, view.hopsToG, d);
    if (!r) return null;
    regions.push(r);
  }
  const M: Master = {
    g,
    regions,
    rate: Float64Array.from(regions, (r) => r.demand.rateBps / 1e6),
    paths: regions.map(() => []),
    keys: regions.map(() => new Set<string>()),
    rb0: hl.rb0.map((x) => x / 1e6),
    bandwidth: net.bandwidthBps.map((x) => x / 1e6),
    background: net.backgroundBps.map((x) => x / 1e6),
  };
  // First column per demand: its fewest-hop admissible path.
  const hopCost = new Float64Array(net.m).fill(1);
  for (let i = 0; i < regions.length; i++) {
    const p = cheapestAdmissiblePath(net, regions[i], g, hopCost, o.maxExpansions);
    if (!p || p.links.length === 0) return null;
    addColumn(M, i, p.links);
  }
  return M;
}

function addColumn(M: Master, i: number, links: number[]): boolean {
  const key = links.join(",");
  if (M.keys[i].has(key)) return false;
  M.keys[i].add(key);
  M.paths[i].push(links);
  return true;
}

/** Population variance of `rb0 - x` over all links. */
export function linkVariance(rb0: Float64Array, x: Float64Array): number {
  const m = rb0.length;
  if (m === 0) return 0;
  let s = 0;
  let s2 = 0;
  for (let l = 0; l < m; l++) {
    const y = rb0[l] - x[l];
    s += y;
    s2 += y * y;
  }
  return Math.max(0, s2 / m - (s / m) ** 2);
}

/** Sparse CSC of the master's path columns: convexity row per demand, then one row per link (value: rate). */
function pathColumns(M: Master, linkRow0: number) {
  const starts: number[] = [0];
  const indices: number[] = [];
  const values: number[] = [];
  const owner: number[] = [];
  M.paths.forEach((paths, i) => {
    for (const links of paths) {
      indices.push(i);
      values.push(1);
      for (const l of links) {
        indices.push(linkRow0 + l);
        values.push(M.rate[i]);
      }
      starts.push(indices.length);
      owner.push(i);
    }
  });
  /** The columns as HiGHS' CSC matrix, once every extra column has been appended. */
  const matrix = (numRows: number, numCols: number) => ({
    format: "csc" as const,
    numRows,
    numCols,
    starts,
    indices,
    values,
  });
  return { starts, indices, values, owner, matrix };
}

function solveModel(h: Highs, model: ModelData, what: string): { col: Float64Array; rowDual: Float64Array } {
  const m = h.createModel(model);
  try {
    m.options.set({ output_flag: false });
    m.run();
    const status = m.getModelStatus();
    if (status !== h.constants.modelStatus.optimal) throw new Error(`${what}: HiGHS ended with model status ${status}`);
    const sol = m.getSolution();
    return { col: Float64Array.from(sol.colValue), rowDual: Float64Array.from(sol.rowDual) };
  } finally {
    m.dispose();
  }
}

/** Link loads (Mbit/s) of a master solution. */
function loadsOf(M: Master, lambda: Float64Array): Float64Array {
  const x = new Float64Array(M.rb0.length);
  let j = 0;
  M.paths.forEach((paths, i) => {
    for (const links of paths) {
      const f = Math.max(0, lambda[j++]) * M.rate[i];
      for (const l of links) x[l] += f;
    }
  });
  return x;
}

/**
 * Restricted master QP over the current path columns: `min (1/m) sum e_l^2` with
 * `e_l = RB0_l - x_l - t` (t free: the variance is the smallest mean square about any centre).
 */
async function solveMasterQp(net: GridNetwork, M: Master): Promise<Float64Array> {
  const h = await highs();
  const m = net.m;
  const D = M.regions.length;
  const cols = pathColumns(M, D);
  const np = cols.owner.length;
  for (let l = 0; l < m; l++) {
    cols.indices.push(D + l);
    cols.values.push(1);
    cols.starts.push(cols.indices.length);
  }
  for (let l = 0; l < m; l++) {
    cols.indices.push(D + l);
    cols.values.push(1);
  }
  cols.starts.push(cols.indices.length);
  const numCols = np + m + 1;
  const hStarts: number[] = [0];
  const hIdx: number[] = [];
  const hVal: number[] = [];
  for (let j = 0; j < numCols; j++) {
    if (j >= np && j < np + m) {
      hIdx.push(j);
      hVal.push(2 / m);
    }
    hStarts.push(hIdx.length);
  }
  const inf = h.infinity;
  const { col } = solveModel(
    h,
    {
      numCols,
      numRows: D + m,
      colCost: new Float64Array(numCols),
      colLower: Array.from({ length: numCols }, (_, j) => (j < np ? 0 : -inf)),
      colUpper: Array.from({ length: numCols }, () => inf),
      rowLower: [...Array.from({ length: D }, () => 1), ...M.rb0],
      rowUpper: [...Array.from({ length: D }, () => 1), ...M.rb0],
      matrix: cols.matrix(D + m, numCols),
      hessian: { format: "triangular", dimension: numCols, starts: hStarts, indices: hIdx, values: hVal },
    },
    `LB_net master QP for generator bus ${net.busIds[M.g]}`,
  );
  return loadsOf(M, col);
}

/**
 * Column generation for the LB_net QP of one generator. Each round prices every demand by its
 * cheapest admissible path under the objective's gradient; convexity makes
 * `f(x) + sum_d rate_d min_p grad(p) - grad . x` a lower bound for every split routing (the
 * Frank-Wolfe dual bound, independent of the solver's accuracy). Stops at the relative gap
 * `tolerance`, when no column improves, or once the bound passes `cutoff` (this generator cannot
 * be the minimum).
 */
async function lbNetBound(
  net: GridNetwork,
  M: Master,
  o: BoundOptions,
  cutoff: number,
): Promise<{ lower: number; split: number; rounds: number }> {
  let lower = 0;
  let split = Infinity;
  let rounds = 0;
  for (; rounds < o.maxRounds; rounds++) {
    const x = await solveMasterQp(net, M);
    const f = linkVariance(M.rb0, x);
    split = Math.min(split, f);
    const m = net.m;
    let mean = 0;
    for (let l = 0; l < m; l++) mean += M.rb0[l] - x[l];
    mean /= m;
    const grad = new Float64Array(m);
    let gx = 0;
    for (let l = 0; l < m; l++) {
      grad[l] = (-2 / m) * (M.rb0[l] - x[l] - mean);
      gx += grad[l] * x[l];
    }
    let lin = 0;
    let added = false;
    for (let i = 0; i < M.regions.length; i++) {
      const p = cheapestAdmissiblePath(net, M.regions[i], M.g, grad, o.maxExpansions);
      if (!p) throw new Error(`internal: demand at bus ${M.regions[i].demand.bus} lost its admissible paths`);
      lin += M.rate[i] * p.lowerBound;
      if (p.links.length > 0 && addColumn(M, i, p.links)) added = true;
    }
    lower = Math.max(lower, f + lin - gx);
    if (!added || split - lower <= o.tolerance * split || lower >= cutoff) break;
  }
  return { lower: Math.max(0, lower), split, rounds: rounds + 1 };
}

/**
 * Column generation for the min-max utilisation LP `min U` with `background_l + x_l <= B_l U`.
 * With link prices pi >= 0 scaled so `sum pi_l B_l = 1`, weak duality gives
 * `U >= sum pi_l background_l + sum_d rate_d min_p pi(p)` for every split routing: the bound is
 * checked from the prices alone, whatever the solver's tolerance.
 */
async function maxUtilBound(net: GridNetwork, M: Master, o: BoundOptions, cutoff: number): Promise<number> {
  const h = await highs();
  const m = net.m;
  const D = M.regions.length;
  let lower = 0;
  for (let round = 0; round < o.maxRounds; round++) {
    const cols = pathColumns(M, D);
    const np = cols.owner.length;
    for (let l = 0; l < m; l++) {
      cols.indices.push(D + l);
      cols.values.push(-M.bandwidth[l]);
    }
    cols.starts.push(cols.indices.length);
    const numCols = np + 1;
    const { col, rowDual } = solveModel(
      h,
      {
        numCols,
        numRows: D + m,
        colCost: Array.from({ length: numCols }, (_, j) => (j === np ? 1 : 0)),
        colLower: new Float64Array(numCols),
        colUpper: Array.from({ length: numCols }, () => h.infinity),
        rowLower: [...Array.from({ length: D }, () => 1), ...Array.from({ length: m }, () => -h.infinity)],
        rowUpper: [...Array.from({ length: D }, () => 1), ...Array.from(M.background, (b) => -b)],
        matrix: cols.matrix(D + m, numCols),
      },
      `max-utilisation LP for generator bus ${net.busIds[M.g]}`,
    );
    const u = col[np];
    const pi = new Float64Array(m);
    let scale = 0;
    for (let l = 0; l < m; l++) {
      pi[l] = Math.max(0, -rowDual[D + l]);
      scale += pi[l] * M.bandwidth[l];
    }
    if (scale <= 0) break;
    let bound = 0;
    for (let l = 0; l < m; l++) {
      pi[l] /= scale;
      bound += pi[l] * M.background[l];
    }
    let added = false;
    for (let i = 0; i < D; i++) {
      const p = cheapestAdmissiblePath(net, M.regions[i], M.g, pi, o.maxExpansions);
      if (!p) throw new Error(`internal: demand at bus ${M.regions[i].demand.bus} lost its admissible paths`);
      bound += M.rate[i] * p.lowerBound;
      if (p.links.length > 0 && addColumn(M, i, p.links)) added = true;
    }
    lower = Math.max(lower, bound);
    if (!added || u - lower <= o.tolerance * u || lower >= cutoff) break;
  }
  return lower;
}

/**
 * Lower bounds on LB_net and on the max utilisation for one period's demands, over every generator
 * that reaches the most sources (the generators the algorithms choose from). Generators go in
 * election order; each one's column generation stops as soon as its bound passes the smallest
 * bound found so far, since it can then no longer be the minimum.
 */
export async function computeBounds(ctx: RoutingContext, options: Partial<BoundOptions> = {}): Promise<CaseBounds> {
  const o = { ...DEFAULT_BOUND_OPTIONS, ...options };
  const start = performance.now();
  const { net } = ctx;
  const ranking = ctx.generatorRanking();
  const candidates = ranking.filter((s) => s.unreachable === ranking[0].unreachable).map((s) => s.node);
  const perGenerator: GeneratorBound[] = [];
  let infeasible = 0;
  let bestLb: GeneratorBound | undefined;
  let bestU: GeneratorBound | undefined;
  for (const g of candidates) {
    const M = master(ctx, g, o);
    if (!M) {
      infeasible++;
      continue;
    }
    const lb = await lbNetBound(net, M, o, bestLb ? bestLb.lbNetLower ** 2 : Infinity);
    const u = await maxUtilBound(net, M, o, bestU ? bestU.maxUtilLower : Infinity);
    const e: GeneratorBound = {
      generator: net.busIds[g],
      lbNetLower: Math.sqrt(lb.lower),
      lbNetSplit: Math.sqrt(lb.split),
      maxUtilLower: u,
      rounds: lb.rounds,
      columns: M.paths.reduce((a, p) => a + p.length, 0),
    };
    perGenerator.push(e);
    if (!bestLb || e.lbNetLower < bestLb.lbNetLower) bestLb = e;
    if (!bestU || e.maxUtilLower < bestU.maxUtilLower) bestU = e;
  }
  if (!bestLb || !bestU) {
    throw new RangeError(
      `bounds on ${net.caseName}: no generator lets every demand meet its deadline within the hop bound (no feasible routing)`,
    );
  }
  return {
    case: net.caseName,
    lbNet: bestLb.lbNetLower,
    lbNetGenerator: bestLb.generator,
    lbNetSplit: bestLb.lbNetSplit,
    gap: bestLb.lbNetSplit > 0 ? (bestLb.lbNetSplit - bestLb.lbNetLower) / bestLb.lbNetSplit : 0,
    maxUtil: bestU.maxUtilLower,
    maxUtilGenerator: bestU.generator,
    generators: candidates.length,
    infeasibleGenerators: infeasible,
    perGenerator: perGenerator.sort((a, b) => a.lbNetLower - b.lbNetLower),
    runtimeMs: performance.now() - start,
  };
}
