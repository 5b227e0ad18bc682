/**
 * The StandardMerkleTree array layout over flat byte buffers. Node i of a tree of n leaves lives at
 * bytes [32i, 32i+32) of one Uint8Array of 2n-1 nodes; its children are 2i+1 and 2i+2, and leaf j
 * (in tree order) is node 2n-2-j, exactly as @openzeppelin/merkle-tree's `makeMerkleTree` places them.
 * Inner nodes are keccak256 of the two children sorted as big-endian numbers (commutative hashing,
 * what OZ `MerkleProof` expects).
 */
import { keccakHasher } from "./keccak";

/** Compares the 32-byte words at byte offsets a and b of x and y. */
export function compare32(x: Uint8Array, a: number, y: Uint8Array, b: number): number {
  for (let k = 0; k < 32; k++) {
    const d = x[a + k] - y[b + k];
    if (d !== 0) return d;
  }
  return 0;
}

/** Buckets larger than this fall back to a comparison sort (only reached with many equal prefixes). */
const INSERTION_LIMIT = 48;

/**
 * The stable ascending order of n 32-byte hashes: order[j] = input index of the j-th smallest.
 * Equal hashes keep input order, like OZ's stable Array.prototype.sort. A counting sort on the top
 * bits spreads uniform hashes into buckets of a few entries, each finished by insertion sort.
 */
export function sortedLeafOrder(hashes: Uint8Array, n: number): Uint32Array {
  const bits = Math.min(16, Math.max(1, Math.ceil(Math.log2(n + 1))));
  const shift = 16 - bits;
  const buckets = 1 << bits;
  const start = new Uint32Array(buckets + 1);
  const key = (i: number): number => ((hashes[32 * i] << 8) | hashes[32 * i + 1]) >>> shift;
  for (let i = 0; i < n; i++) start[key(i) + 1]++;
  for (let b = 0; b < buckets; b++) start[b + 1] += start[b];
  const order = new Uint32Array(n);
  const fill = start.slice(0, buckets);
  for (let i = 0; i < n; i++) order[fill[key(i)]++] = i;
  const byHashThenIndex = (p: number, q: number): number => compare32(hashes, 32 * p, hashes, 32 * q) || p - q;
  for (let b = 0; b < buckets; b++) {
    const lo = start[b];
    const hi = start[b + 1];
    if (hi - lo < 2) continue;
    if (hi - lo > INSERTION_LIMIT) {
      order.set(Array.from(order.subarray(lo, hi)).sort(byHashThenIndex), lo);
      continue;
    }
    for (let j = lo + 1; j < hi; j++) {
      const v = order[j];
      let k = j - 1;
      // Strictly greater only, so equal hashes keep ascending input index.
      while (k >= lo && compare32(hashes, 32 * order[k], hashes, 32 * v) > 0) {
        order[k + 1] = order[k];
        k--;
      }
      order[k + 1] = v;
    }
  }
  return order;
}

export interface Layout {
  /** 2n-1 nodes of 32 bytes in OZ tree-array order; node 0 is the root. */
  nodes: Uint8Array;
  /** Input (value) index -> tree index. */
  treeIndexOf: Uint32Array;
}

/**
 * Places n leaf hashes (32 bytes each, in input order) and hashes every inner node.
 * With `sortLeaves`, leaves are placed in ascending hash order as OZ does by default.
 */
export function buildLayout(leafHashes: Uint8Array, n: number, sortLeaves: boolean): Layout {
  const size = 2 * n - 1;
  const nodes = new Uint8Array(32 * size);
  const treeIndexOf = new Uint32Array(n);
  const order = sortLeaves ? sortedLeafOrder(leafHashes, n) : undefined;
  // 32-bit views copy a node in 8 moves; every node offset is a multiple of 32, so they align.
  const aligned = leafHashes.byteOffset % 4 === 0 ? leafHashes : leafHashes.slice(0, 32 * n);
  const src = new Int32Array(aligned.buffer, aligned.byteOffset, 8 * n);
  const dst = new Int32Array(nodes.buffer);
  for (let j = 0; j < n; j++) {
    const i = order === undefined ? j : order[j];
    const t = size - 1 - j;
    treeIndexOf[i] = t;
    for (let w = 0; w < 8; w++) dst[8 * t + w] = src[8 * i + w];
  }
  const h = keccakHasher();
  const pair = new Uint8Array(64);
  const pair32 = new Int32Array(pair.buffer);
  for (let i = size - 1 - n; i >= 0; i--) {
    const l = 2 * i + 1;
    // The children are adjacent; swap them into the scratch pair when the right one is smaller.
    const swap = compare32(nodes, 32 * l, nodes, 32 * l + 32) > 0;
    const a = 8 * (swap ? l + 1 : l);
    const b = 8 * (swap ? l : l + 1);
    for (let w = 0; w < 8; w++) {
      pair32[w] = dst[a + w];
      pair32[8 + w] = dst[b + w];
    }
    nodes.set(h.init().update(pair).digest("binary"), 32 * i);
  }
  return { nodes, treeIndexOf };
}

/** keccak256 of the sorted pair (a, b): the commutative inner-node hash. */
export function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  const pair = new Uint8Array(64);
  const swap = compare32(a, 0, b, 0) > 0;
  pair.set(swap ? b : a, 0);
  pair.set(swap ? a : b, 32);
  return keccakHasher().init().update(pair).digest("binary");
}

/** Tree indices of the siblings on the path from tree index t to the root. */
export function proofIndices(t: number): number[] {
  const out: number[] = [];
  while (t > 0) {
    out.push(t % 2 === 1 ? t + 1 : t - 1);
    t = (t - 1) >> 1;
  }
  return out;
}

export interface MultiProofIndices {
  /** Leaf tree indices, descending (the order OZ lists multiproof leaves in). */
  leaves: number[];
  /** Tree indices of the proof nodes. */
  proof: number[];
  proofFlags: boolean[];
}

/** OZ `getMultiProof` over tree indices (which must be distinct leaves). */
export function multiProofIndices(treeIndices: readonly number[]): MultiProofIndices {
  const leaves = [...treeIndices].sort((a, b) => b - a);
  for (let k = 1; k < leaves.length; k++) {
    if (leaves[k] === leaves[k - 1]) throw new Error("getMultiProof: cannot prove a duplicated index");
  }
  // OZ uses a queue (shift from the front, push to the back); a head pointer keeps it linear.
  const queue = [...leaves];
  let head = 0;
  const proof: number[] = [];
  const proofFlags: boolean[] = [];
  while (head < queue.length && queue[head] > 0) {
    const j = queue[head++];
    const s = j % 2 === 1 ? j + 1 : j - 1;
    if (head < queue.length && queue[head] === s) {
      proofFlags.push(true);
      head++;
    } else {
      proofFlags.push(false);
      proof.push(s);
    }
    queue.push((j - 1) >> 1);
  }
  if (leaves.length === 0) proof.push(0);
  return { leaves, proof, proofFlags };
}

/** OZ `processProof`: folds the proof into the leaf with the commutative node hash. */
export function processProof(leaf: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  return proof.reduce(hashPair, leaf);
}

/** OZ `processMultiProof` over byte nodes; throws on a malformed multiproof like OZ does. */
export function processMultiProof(
  leaves: readonly Uint8Array[],
  proof: readonly Uint8Array[],
  proofFlags: readonly boolean[],
): Uint8Array {
  if (proof.length < proofFlags.filter((f) => !f).length)
    throw new Error("multiproof: too few proof nodes for its flags");
  if (leaves.length + proof.length !== proofFlags.length + 1) {
    throw new Error("multiproof: leaves + proof must equal proofFlags + 1");
  }
  const queue = [...leaves];
  let head = 0;
  let p = 0;
  for (const flag of proofFlags) {
    const a = queue[head++];
    const b = flag ? queue[head++] : proof[p++];
    if (a === undefined || b === undefined) throw new Error("multiproof: flags consume more nodes than given");
    queue.push(hashPair(a, b));
  }
  if (queue.length - head + (proof.length - p) !== 1) throw new Error("multiproof: does not reduce to one root");
  return head < queue.length ? queue[queue.length - 1] : proof[p];
}
