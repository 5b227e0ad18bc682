/**
 * FastMerkleTree: the same tree as @openzeppelin/merkle-tree's StandardMerkleTree (same leaf hash,
 * node hash, leaf sorting and array layout, so roots and proofs are byte-identical and `dump()` loads
 * into `StandardMerkleTree.load`), built from flat buffers with a WebAssembly keccak. Hex strings are
 * made only when a root, leaf hash or proof is asked for.
 */
import { compileStaticEncoder, type AbiValue } from "./abi";
import { bytesToHex, hex32ToBytes, hexView, type Hex } from "./hex";
import { initMerkle, leafHashInto } from "./keccak";
import { buildLayout, multiProofIndices, processMultiProof, processProof, proofIndices } from "./layout";
import { encodeRecordLeaf, LEAF_TYPES, locateRecordError, type GridRecord, type RecordLeaf } from "./record";

export interface FastMerkleOptions {
  /** Sort leaves by hash before building, as StandardMerkleTree does by default. Default true. */
  sortLeaves?: boolean;
}

/** StandardMerkleTree's multiproof shape; `leaves` are leaf values (or leaf hashes, see getMultiProofHashes). */
export interface MultiProof<L> {
  leaves: L[];
  proof: Hex[];
  proofFlags: boolean[];
}

/** The `StandardMerkleTree.dump()` format ("standard-v1"), which `StandardMerkleTree.load` accepts. */
export interface StandardMerkleTreeData<T> {
  format: "standard-v1";
  leafEncoding: string[];
  tree: Hex[];
  values: { value: T; treeIndex: number }[];
}

type LeafValues = readonly AbiValue[];

export class FastMerkleTree<T extends LeafValues = LeafValues> {
  private rootHex: Hex | undefined;
  private valueIndexOfTree: Int32Array | undefined;
  /** `nodes` as `bytesToHex` encodes it fastest (a Buffer view under Node). */
  private readonly nodesHex: Uint8Array;

  private constructor(
    /** 2n-1 nodes of 32 bytes, OZ tree-array order. */
    private readonly nodes: Uint8Array,
    /** Input index -> tree index. */
    private readonly treeIndexOf: Uint32Array,
    private readonly values: readonly T[],
    /** The ABI types of a leaf. */
    readonly leafEncoding: readonly string[],
  ) {
    this.nodesHex = hexView(nodes);
  }

  /** Loads the keccak if needed, then builds like `StandardMerkleTree.of(values, types, options)`. */
  static async build<T extends LeafValues>(
    values: readonly T[],
    types: readonly string[],
    options: FastMerkleOptions = {},
  ): Promise<FastMerkleTree<T>> {
    await initMerkle();
    return FastMerkleTree.of(values, types, options);
  }

  /** Loads the keccak if needed, then builds the tree of record leaves (see `ofRecords`). */
  static async fromRecords(
    records: readonly GridRecord<object>[],
    options: FastMerkleOptions = {},
  ): Promise<FastMerkleTree<RecordLeaf>> {
    await initMerkle();
    return FastMerkleTree.ofRecords(records, options);
  }

  /**
   * Builds the tree of `values` (each an array matching `types`) synchronously; needs `initMerkle()`.
   * Leaf i is keccak256(keccak256(abi.encode(types, values[i]))). The tree keeps `values` by reference.
   */
  static of<T extends LeafValues>(
    values: readonly T[],
    types: readonly string[],
    options: FastMerkleOptions = {},
  ): FastMerkleTree<T> {
    const n = checkLeafCount(values);
    const encoder = compileStaticEncoder(types);
    const encoded = new Uint8Array(encoder.size);
    const leafHashes = new Uint8Array(32 * n);
    for (let i = 0; i < n; i++) {
      try {
        encoder.encodeInto(values[i], encoded, 0);
      } catch (e) {
        throw new Error(`leaf ${i}: ${(e as Error).message}`, { cause: e });
      }
      leafHashInto(encoded, leafHashes, 32 * i);
    }
    return FastMerkleTree.fromLeafHashes(leafHashes, values, types, options);
  }

  /**
   * Builds the tree of records' leaves `[terminalId, kind, timestamp, payloadHash]` synchronously;
   * needs `initMerkle()`. `tree.at(i)` is the leaf of `records[i]`. Errors name the record index and field.
   */
  static ofRecords(
    records: readonly GridRecord<object>[],
    options: FastMerkleOptions = {},
  ): FastMerkleTree<RecordLeaf> {
    const n = checkLeafCount(records);
    const encoded = new Uint8Array(32 * LEAF_TYPES.length);
    const leafHashes = new Uint8Array(32 * n);
    const leaves = new Array<RecordLeaf>(n);
    for (let i = 0; i < n; i++) {
      try {
        leaves[i] = encodeRecordLeaf(records[i], encoded);
      } catch (e) {
        throw locateRecordError(`records[${i}]`, e);
      }
      leafHashInto(encoded, leafHashes, 32 * i);
    }
    return FastMerkleTree.fromLeafHashes(leafHashes, leaves, LEAF_TYPES, options);
  }

  /**
   * Builds from precomputed leaf hashes (32 bytes each, in the order of `values`), e.g. hashed in
   * worker threads. The caller vouches that hash i is the leaf hash of values[i] under `types`.
   */
  static fromLeafHashes<T extends LeafValues>(
    leafHashes: Uint8Array,
    values: readonly T[],
    types: readonly string[],
    options: FastMerkleOptions = {},
  ): FastMerkleTree<T> {
    const n = checkLeafCount(values);
    if (leafHashes.length !== 32 * n) {
      throw new Error(`leafHashes: expected ${32 * n} bytes for ${n} leaves, got ${leafHashes.length}`);
    }
    const { nodes, treeIndexOf } = buildLayout(leafHashes, n, options.sortLeaves ?? true);
    return new FastMerkleTree(nodes, treeIndexOf, values, [...types]);
  }

  /** True when folding `proof` into `leafHash` gives `root` (OZ `MerkleProof.verify`). */
  static verify(root: string, leafHash: string, proof: readonly string[]): boolean {
    const r = hex32ToBytes(root, "root");
    const leaf = hex32ToBytes(leafHash, "leafHash");
    const nodes = proof.map((p, i) => hex32ToBytes(p, `proof[${i}]`));
    return bytesToHex(processProof(leaf, nodes)) === bytesToHex(r);
  }

  /** True when a multiproof of leaf hashes (from `getMultiProofHashes`) reduces to `root`. */
  static verifyMultiProof(
    root: string,
    multiproof: { leaves: readonly string[]; proof: readonly string[]; proofFlags: readonly boolean[] },
  ): boolean {
    const r = hex32ToBytes(root, "root");
    const leaves = multiproof.leaves.map((l, i) => hex32ToBytes(l, `leaves[${i}]`));
    const proof = multiproof.proof.map((p, i) => hex32ToBytes(p, `proof[${i}]`));
    return bytesToHex(processMultiProof(leaves, proof, multiproof.proofFlags)) === bytesToHex(r);
  }

  /** The root, lowercase 0x hex. */
  get root(): Hex {
    this.rootHex ??= this.nodeHex(0);
    return this.rootHex;
  }

  /** The number of leaves. */
  get length(): number {
    return this.values.length;
  }

  /** The leaf values at input index i. */
  at(i: number): T {
    return this.values[this.checkIndex(i)];
  }

  /** The leaf hash of input index i. */
  leafHash(i: number): Hex {
    return this.nodeHex(this.treeIndexOf[this.checkIndex(i)]);
  }

  /** The proof of input index i, like `StandardMerkleTree.getProof(i)`. */
  getProof(i: number): Hex[] {
    return proofIndices(this.treeIndexOf[this.checkIndex(i)]).map((t) => this.nodeHex(t));
  }

  /** A multiproof of the given input indices, like `StandardMerkleTree.getMultiProof(indices)`. */
  getMultiProof(indices: readonly number[]): MultiProof<T> {
    const mp = this.multiProof(indices);
    return {
      leaves: mp.leaves.map((t) => this.values[this.valueIndexAt(t)]),
      proof: mp.proof,
      proofFlags: mp.proofFlags,
    };
  }

  /** The same multiproof with leaf hashes as leaves: the arguments of OZ `MerkleProof.multiProofVerify`. */
  getMultiProofHashes(indices: readonly number[]): MultiProof<Hex> {
    const mp = this.multiProof(indices);
    return { leaves: mp.leaves.map((t) => this.nodeHex(t)), proof: mp.proof, proofFlags: mp.proofFlags };
  }

  /** The tree in `StandardMerkleTree.dump()` form. */
  dump(): StandardMerkleTreeData<T> {
    const tree = new Array<Hex>(this.nodes.length / 32);
    for (let t = 0; t < tree.length; t++) tree[t] = this.nodeHex(t);
    return {
      format: "standard-v1",
      leafEncoding: [...this.leafEncoding],
      tree,
      values: this.values.map((value, i) => ({ value, treeIndex: this.treeIndexOf[i] })),
    };
  }

  private multiProof(indices: readonly number[]): { leaves: number[]; proof: Hex[]; proofFlags: boolean[] } {
    const mp = multiProofIndices(indices.map((i) => this.treeIndexOf[this.checkIndex(i)]));
    return { leaves: mp.leaves, proof: mp.proof.map((t) => this.nodeHex(t)), proofFlags: mp.proofFlags };
  }

  private nodeHex(t: number): Hex {
    return bytesToHex(this.nodesHex, 32 * t, 32);
  }

  /** Tree index -> input index; OZ maps a multiproof leaf back through its hash, which for equal values is the same. */
  private valueIndexAt(t: number): number {
    if (this.valueIndexOfTree === undefined) {
      this.valueIndexOfTree = new Int32Array(this.nodes.length / 32).fill(-1);
      this.treeIndexOf.forEach((tree, value) => (this.valueIndexOfTree![tree] = value));
    }
    return this.valueIndexOfTree[t];
  }

  private checkIndex(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.values.length) {
      throw new RangeError(`leaf index ${i} is out of bounds for a tree of ${this.values.length} leaves`);
    }
    return i;
  }
}

/**
 * The root of the StandardMerkleTree (sorted leaves) over precomputed leaf hashes, 32 bytes each: what
 * `FastMerkleTree.fromLeafHashes(...).root` gives, without the leaf values (e.g. on a worker thread).
 */
export function rootOfLeafHashes(leafHashes: Uint8Array): Hex {
  if (leafHashes.length === 0 || leafHashes.length % 32 !== 0)
    throw new Error(`Merkle tree: expected a non-zero multiple of 32 bytes of leaf hashes, got ${leafHashes.length}`);
  return bytesToHex(buildLayout(leafHashes, leafHashes.length / 32, true).nodes.subarray(0, 32));
}

function checkLeafCount(values: readonly unknown[]): number {
  if (!Array.isArray(values)) throw new Error("Merkle tree: expected an array of leaves");
  if (values.length === 0) throw new Error("Merkle tree: expected a non-zero number of leaves");
  if (values.length > 2 ** 30) throw new Error(`Merkle tree: ${values.length} leaves exceeds the 2^30 limit`);
  return values.length;
}
