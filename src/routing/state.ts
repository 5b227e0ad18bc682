import { GridNetwork } from "../grid/network";
import { mm1k } from "../queueing/mm1k";
import { Demand, Path } from "./demands";
import { RoutingOptions } from "./options";

/**
 * Link and terminal load during routing: remaining bandwidth per link, arrival rate per terminal
 * and the queue metrics that follow from it. Implements the delay model of ALGORITHMS.md section 4
 * and keeps running sums so the load-balance degree of section 6 after a tentative allocation costs
 * O(path length) instead of O(links).
 */
export class LoadState {
  /** Remaining bandwidth `RB_i = B_i - background_i - routed_i`, bit/s. */
  readonly rb: Float64Array;
  /** Routed load per link, bit/s. */
  readonly routed: Float64Array;
  /** Packets per second each terminal sends (its own plus transit). */
  readonly lambda: Float64Array;
  /** M/M/1/K sojourn time per terminal, s. */
  readonly tNode: Float64Array;
  /** 1 / (1 - P_loss) per terminal: the expected number of transmissions. */
  readonly retx: Float64Array;
  /** Service rate per terminal, packets/s. */
  readonly mu: Float64Array;
  private readonly bRef: number;
  private sumX = 0;
  private sumX2 = 0;

  constructor(
    readonly net: GridNetwork,
    readonly opts: RoutingOptions,
    /** Demands whose sources send this period: their own packets load their terminals from the start. */
    senders: readonly Demand[],
  ) {
    const { n, m } = net;
    this.rb = new Float64Array(m);
    this.routed = new Float64Array(m);
    this.lambda = new Float64Array(n);
    this.tNode = new Float64Array(n);
    this.retx = new Float64Array(n);
    this.mu = new Float64Array(n);
    let bRef = 0;
    for (let l = 0; l < m; l++) bRef = Math.max(bRef, net.bandwidthBps[l]);
    this.bRef = bRef;
    for (let l = 0; l < m; l++) {
      this.rb[l] = net.bandwidthBps[l] - net.backgroundBps[l];
      const x = this.rb[l] - bRef;
      this.sumX += x;
      this.sumX2 += x * x;
    }
    const packetBits = opts.packetBytes * 8;
    for (let i = 0; i < n; i++) this.mu[i] = opts.serviceRatePps ?? net.nodeBandwidthBps[i] / packetBits;
    for (const d of senders) this.lambda[d.node] += d.pps;
    for (let i = 0; i < n; i++) this.updateNode(i);
  }

  private updateNode(u: number): void {
    const q = mm1k(this.lambda[u], this.mu[u], this.opts.bufferPackets);
    this.tNode[u] = q.tDelay;
    this.retx[u] = 1 / (1 - q.pLoss);
  }

  /** Delay of one hop from terminal u over link l for a block of `bytes` (section 4), s. */
  hopDelay(u: number, l: number, bytes: number): number {
    const rb = this.rb[l];
    if (rb <= 0) return Infinity;
    return (this.tNode[u] + this.net.fixedDelayS[l] + (bytes * 8) / rb) * this.retx[u];
  }

  /** Path delay `T_s-d = sum t_i` under the current load, s. */
  pathDelay(path: Path, bytes: number): number {
    let t = 0;
    for (let i = 0; i < path.links.length; i++) t += this.hopDelay(path.nodes[i], path.links[i], bytes);
    return t;
  }

  /**
   * Path delay the demand would see once allocated on `path`: its own rate is taken off each link
   * and its packets added to each transit terminal (the source already counts them). Does not mutate.
   */
  delayIfAllocated(path: Path, d: Demand): number {
    let t = 0;
    for (let i = 0; i < path.links.length; i++) {
      const u = path.nodes[i];
      const l = path.links[i];
      const rb = this.rb[l] - d.rateBps;
      if (rb <= 0) return Infinity;
      let tNode = this.tNode[u];
      let retx = this.retx[u];
      if (i > 0 && d.pps > 0) {
        const q = mm1k(this.lambda[u] + d.pps, this.mu[u], this.opts.bufferPackets);
        tNode = q.tDelay;
        retx = 1 / (1 - q.pLoss);
      }
      t += (tNode + this.net.fixedDelayS[l] + (d.bytes * 8) / rb) * retx;
    }
    return t;
  }

  /** Commits a demand to a path: takes its rate off each link and adds its packets to each transit terminal. */
  allocate(path: Path, d: Demand): void {
    this.shift(path, d.rateBps, d.pps);
  }

  /** Undoes `allocate` (local search moves a demand by releasing and re-allocating it). */
  release(path: Path, d: Demand): void {
    this.shift(path, -d.rateBps, -d.pps);
  }

  private shift(path: Path, rateBps: number, pps: number): void {
    for (const l of path.links) {
      const x = this.rb[l] - this.bRef;
      const y = x - rateBps;
      this.sumX += y - x;
      this.sumX2 += y * y - x * x;
      this.rb[l] -= rateBps;
      this.routed[l] += rateBps;
    }
    for (let i = 1; i < path.nodes.length - 1; i++) {
      const u = path.nodes[i];
      this.lambda[u] = Math.max(0, this.lambda[u] + pps);
      this.updateNode(u);
    }
  }

  /** `LB_net` (section 6) over every link, Mbit/s. */
  lbNet(): number {
    return this.lbFromSums(this.sumX, this.sumX2);
  }

  /** `LB_net` after taking `rateBps` off each of `links`, without mutating the state, Mbit/s. */
  lbNetIfAllocated(links: readonly number[], rateBps: number): number {
    let sumX = this.sumX;
    let sumX2 = this.sumX2;
    for (const l of links) {
      const x = this.rb[l] - this.bRef;
      sumX -= rateBps;
      sumX2 += rateBps * (rateBps - 2 * x);
    }
    return this.lbFromSums(sumX, sumX2);
  }

  private lbFromSums(sumX: number, sumX2: number): number {
    const m = this.net.m;
    if (m === 0) return 0;
    const mean = sumX / m;
    return Math.sqrt(Math.max(0, sumX2 / m - mean * mean)) / 1e6;
  }
}

/** `LB = sqrt(sum (RB_i - mean RB)^2 / n)` over the given links (section 6), in the unit of `rb`. */
export function loadBalanceDegree(rb: ArrayLike<number>, links: Iterable<number>): number {
  const values: number[] = [];
  for (const l of links) values.push(rb[l]);
  if (values.length === 0) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
}
