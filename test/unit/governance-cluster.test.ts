import { expect } from "chai";
import { createRng } from "../../src/common/rng";
import { clusterAt, parseKRange } from "../../src/governance/cluster";
import { euclideanMatrix } from "../../src/governance/distance";
import { kmeansRestarts } from "../../src/governance/kmeans";
import { pam } from "../../src/governance/pam";
import { silhouette } from "../../src/governance/silhouette";

const line = (xs: number[]): number[][] => xs.map((x) => [x]);

/** Brute-force optimum of the k-medoids objective over all medoid sets (tiny n only). */
function bruteForceCost(points: number[][], k: number): number {
  const dist = euclideanMatrix(points);
  let best = Infinity;
  const pick = (start: number, chosen: number[]): void => {
    if (chosen.length === k) {
      let cost = 0;
      for (let j = 0; j < points.length; j++) cost += Math.min(...chosen.map((m) => dist.at(m, j)));
      best = Math.min(best, cost);
      return;
    }
    for (let i = start; i < points.length; i++) pick(i + 1, [...chosen, i]);
  };
  pick(0, []);
  return best;
}

/** Three far-apart Gaussian blobs in 6 dimensions, 20 points each, with their true labels. */
function blobs(seed: number): { points: number[][]; truth: number[] } {
  const rng = createRng(seed);
  const centres = [0, 20, -20];
  const points: number[][] = [];
  const truth: number[] = [];
  centres.forEach((c, b) => {
    for (let i = 0; i < 20; i++) {
      points.push(Array.from({ length: 6 }, (_, d) => (d === b ? c : 0) + c + rng.normal()));
      truth.push(b);
    }
  });
  return { points, truth };
}

/** True when two labelings define the same partition (labels may be permuted). */
function samePartition(a: readonly number[], b: readonly number[]): boolean {
  const map = new Map<number, number>();
  const used = new Set<number>();
  for (let i = 0; i < a.length; i++) {
    const m = map.get(a[i]);
    if (m === undefined) {
      if (used.has(b[i])) return false;
      map.set(a[i], b[i]);
      used.add(b[i]);
    } else if (m !== b[i]) return false;
  }
  return true;
}

describe("governance: clustering", function () {
  describe("pam", function () {
    it("finds the medoids 2 and 11 of two tight groups (cost 4)", function () {
      const r = pam(euclideanMatrix(line([1, 2, 3, 10, 11, 12])), 2);
      expect([...r.medoids].sort()).to.deep.equal([1, 4]);
      expect(r.cost).to.equal(4);
      expect(r.labels).to.deep.equal([0, 0, 0, 1, 1, 1].map((g) => r.medoids.indexOf(g === 0 ? 1 : 4)));
    });

    it("repairs a greedy BUILD with SWAP", function () {
      // BUILD takes the central point 5 first (lowest total distance); the optimum is {0, 10} with cost 5.
      const r = pam(euclideanMatrix(line([0, 0, 0, 5, 10, 10, 10])), 2);
      expect(r.swaps).to.be.greaterThan(0);
      expect([...r.medoids].sort()).to.deep.equal([0, 4]);
      expect(r.cost).to.equal(5);
    });

    it("reaches the brute-force optimum on small random sets", function () {
      const rng = createRng(11);
      for (let trial = 0; trial < 5; trial++) {
        const points = Array.from({ length: 12 }, () => [rng.normal() * 3, rng.normal()]);
        const r = pam(euclideanMatrix(points), 3);
        expect(r.cost).to.be.closeTo(bruteForceCost(points, 3), 1e-9);
      }
    });

    it("rejects k outside 1..n", function () {
      expect(() => pam(euclideanMatrix(line([1, 2])), 3)).to.throw("k must be an integer in 1..2");
    });
  });

  describe("silhouette", function () {
    it("matches the hand-computed values of two pairs", function () {
      // Points 0,1 | 5,6: s(0) = (5.5 - 1) / 5.5, s(1) = (4.5 - 1) / 4.5, symmetric for 5 and 6.
      const s = silhouette(euclideanMatrix(line([0, 1, 5, 6])), [0, 0, 1, 1]);
      const outer = 4.5 / 5.5;
      const inner = 3.5 / 4.5;
      expect(s.values[0]).to.be.closeTo(outer, 1e-12);
      expect(s.values[1]).to.be.closeTo(inner, 1e-12);
      expect(s.values[2]).to.be.closeTo(inner, 1e-12);
      expect(s.values[3]).to.be.closeTo(outer, 1e-12);
      expect(s.mean).to.be.closeTo((outer + inner) / 2, 1e-12);
    });

    it("gives a singleton 0 and a misplaced point a negative value", function () {
      const s = silhouette(euclideanMatrix(line([0, 1, 10])), [0, 0, 1]);
      expect(s.values[2]).to.equal(0);
      const wrong = silhouette(euclideanMatrix(line([0, 1, 9, 10])), [0, 1, 1, 1]);
      expect(wrong.values[1]).to.be.lessThan(0);
    });

    it("needs two non-empty clusters", function () {
      expect(() => silhouette(euclideanMatrix(line([0, 1])), [0, 0])).to.throw("at least two non-empty clusters");
    });
  });

  describe("k-means and k-medoids on separated blobs", function () {
    it("k-means recovers the three blobs, reproducibly from the seed", function () {
      const { points, truth } = blobs(5);
      const r = kmeansRestarts(points, 3, 1);
      expect(samePartition(r.labels, truth)).to.equal(true);
      expect(kmeansRestarts(points, 3, 1).labels).to.deep.equal(r.labels);
      expect(silhouette(euclideanMatrix(points), r.labels).mean).to.be.greaterThan(0.8);
    });

    it("clusterAt numbers clusters by size and both methods agree on clean blobs", function () {
      const { points, truth } = blobs(6);
      // Drop 5 points of blob 0 so the sizes are 15, 20, 20.
      const keep = points.map((_, i) => i).filter((i) => !(truth[i] === 0 && i < 5));
      const pts = keep.map((i) => points[i]);
      const dist = euclideanMatrix(pts);
      const km = clusterAt(pts, dist, 3, "kmeans", 1);
      const kmed = clusterAt(pts, dist, 3, "kmedoids", 1);
      expect(km.sizes).to.deep.equal([20, 20, 15]);
      expect(samePartition(km.labels, kmed.labels)).to.equal(true);
      expect(kmed.medoidIndices).to.have.length(3);
      kmed.medoidIndices!.forEach((m, c) => expect(kmed.labels[m]).to.equal(c));
      expect(kmed.silhouette).to.be.closeTo(km.silhouette, 1e-12);
    });
  });

  describe("parseKRange", function () {
    it("reads ranges, single values and lists", function () {
      expect(parseKRange("2..8")).to.deep.equal([2, 3, 4, 5, 6, 7, 8]);
      expect(parseKRange("4")).to.deep.equal([4]);
      expect(parseKRange("6, 2,6")).to.deep.equal([2, 6]);
    });
    it("rejects k below 2, empty ranges and other text", function () {
      expect(() => parseKRange("1..3")).to.throw("k must be at least 2");
      expect(() => parseKRange("8..2")).to.throw("the range is empty");
      expect(() => parseKRange("two")).to.throw('--k "two": expected a range like 2..8');
    });
  });
});
