/**
 * A batch's whole Merkle tree as one flat buffer (the StandardMerkleTree array layout of `layout.ts`): 2n-1 nodes
 * of 32 bytes, node 0 the root, the leaves sorted by hash. Stored once per batch, it holds every record's proof
 * (a proof is the siblings on the leaf's path), so proofs need no per-record storage and no rebuild.
 */
import { bytesToHex, hex32ToBytes, hexView, type Hex } from "./hex";
import { leafHashInto } from "./keccak";
import { buildLayout, compare32, processProof, proofIndices } from "./layout";
import { RECORD_PROOF_FORMAT, type BatchInfo, type PackageProof, type RecordProof } from "./proofFile";
import { encodeRecordLeaf, LEAF_TYPES, locateRecordError, type GridRecord } from "./record";

export class BatchTree {
  private readonly hex: Uint8Array;
  /** The number of leaves. */
  readonly length: number;

  /** `nodes` as built by `BatchTree.build` or read back from a file; `source` names it in errors. */
  constructor(
    readonly nodes: Uint8Array,
    source = "batch tree",
  ) {
    const count = nodes.length / 32;
    if (!Number.isInteger(count) || count % 2 !== 1)
      throw new Error(`${source}: expected an odd number of 32-byte nodes, got ${nodes.length} bytes`);
    this.length = (count + 1) / 2;
    this.hex = hexView(nodes);
  }

  /** The tree of leaf hashes (32 bytes each), leaves sorted as StandardMerkleTree sorts them. */
  static build(leafHashes: Uint8Array): BatchTree {
    if (leafHashes.length === 0 || leafHashes.length % 32 !== 0)
      throw new Error(`Merkle tree: expected a non-zero multiple of 32 bytes of leaf hashes, got ${leafHashes.length}`);
    return new BatchTree(buildLayout(leafHashes, leafHashes.length / 32, true).nodes);
  }

  /** The tree of records (in any order): what the close builds from the same records' leaf hashes. */
  static ofRecords(records: readonly GridRecord[]): BatchTree {
    const encoded = new Uint8Array(32 * LEAF_TYPES.length);
    const hashes = new Uint8Array(32 * records.length);
    records.forEach((r, i) => {
      try {
        encodeRecordLeaf(r, encoded);
      } catch (e) {
        throw locateRecordError(`records[${i}]`, e);
      }
      leafHashInto(encoded, hashes, 32 * i);
    });
    return BatchTree.build(hashes);
  }

  get root(): Hex {
    return bytesToHex(this.hex, 0, 32);
  }

  /**
   * The tree index of a leaf hash, or -1 when the tree has no such leaf. The j-th smallest leaf is node 2n-2-j,
   * so a binary search over j finds it in log2(n) comparisons.
   */
  indexOf(leafHash: Uint8Array): number {
    const size = 2 * this.length - 1;
    let lo = 0;
    let hi = this.length - 1;
    while (lo <= hi) {
      const j = (lo + hi) >> 1;
      const c = compare32(this.nodes, 32 * (size - 1 - j), leafHash, 0);
      if (c === 0) return size - 1 - j;
      if (c < 0) lo = j + 1;
      else hi = j - 1;
    }
    return -1;
  }

  /** The proof (siblings, leaf to root) of a leaf hash, as `StandardMerkleTree.getProof` gives it; undefined if absent. */
  proof(leafHash: Hex): Hex[] | undefined {
    const t = this.indexOf(hex32ToBytes(leafHash, "leafHash"));
    return t < 0 ? undefined : proofIndices(t).map((s) => bytesToHex(this.hex, 32 * s, 32));
  }

  /**
   * The proof file of `record` in this tree: its leaf is computed from the record (so a record the tree was not
   * built from has no proof), and the path is checked to fold to the root; `pkg` is the record's signed
   * package, as `makeRecordProof` takes it. Undefined when the leaf is absent.
   */
  recordProof(record: GridRecord, batch: BatchInfo = {}, pkg?: PackageProof): RecordProof | undefined {
    const encoded = new Uint8Array(32 * LEAF_TYPES.length);
    let leaf;
    try {
      leaf = encodeRecordLeaf(record, encoded);
    } catch (e) {
      throw locateRecordError("record", e);
    }
    const hash = new Uint8Array(32);
    leafHashInto(encoded, hash, 0);
    const t = this.indexOf(hash);
    if (t < 0) return undefined;
    const path = proofIndices(t).map((s) => this.nodes.subarray(32 * s, 32 * s + 32));
    if (compare32(processProof(hash, path), 0, this.nodes, 0) !== 0)
      throw new Error(`batch tree ${this.root}: the path of leaf ${bytesToHex(hash)} does not fold to the root`);
    return {
      format: RECORD_PROOF_FORMAT,
      record,
      leafEncoding: [...LEAF_TYPES],
      leaf: [leaf[0], leaf[1], leaf[2], leaf[3]],
      leafHash: bytesToHex(hash),
      proof: path.map((p) => bytesToHex(p)),
      root: this.root,
      batch: { ...batch },
      ...(pkg && { package: pkg }),
    };
  }
}
