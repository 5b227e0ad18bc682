import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import fc from "fast-check";
import { FastMerkleTree, initMerkle, LEAF_TYPES, type AbiValue, type RecordLeaf } from "../../src/merkle";
import { createRng, type Rng } from "../../src/common/rng";

const SEED = 20240501;

function hexOf(rng: Rng, bytes: number): `0x${string}` {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = rng.int(0, 255);
  return `0x${b.toString("hex")}`;
}

function recordLeaves(rng: Rng, n: number): RecordLeaf[] {
  return Array.from({ length: n }, () => [hexOf(rng, 32), rng.int(0, 3) as 0, rng.int(0, 2 ** 40), hexOf(rng, 32)]);
}

/** Everything observable about a tree, for byte-identity checks. */
function snapshot(tree: FastMerkleTree<readonly AbiValue[]> | StandardMerkleTree<AbiValue[]>, n: number, rng: Rng) {
  const subset = Array.from({ length: n }, (_, i) => i).filter(() => rng.next() < 0.4);
  return {
    root: tree.root,
    dump: JSON.stringify(tree.dump(), (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v)),
    proofs: Array.from({ length: n }, (_, i) => tree.getProof(i)),
    multi: tree.getMultiProof(subset),
    multiAll: tree.getMultiProof(Array.from({ length: n }, (_, i) => n - 1 - i)),
    multiNone: tree.getMultiProof([]),
  };
}

function expectSameAsOz(values: AbiValue[][], types: string[], sortLeaves: boolean, seed: number): void {
  const oz = StandardMerkleTree.of(values, types, { sortLeaves });
  const fast = FastMerkleTree.of(values, types, { sortLeaves });
  expect(snapshot(fast, values.length, createRng(seed))).to.deep.equal(snapshot(oz, values.length, createRng(seed)));
}

describe("merkle: FastMerkleTree", function () {
  before(async function () {
    await initMerkle();
  });

  describe("byte-identity with StandardMerkleTree", function () {
    for (const sortLeaves of [true, false]) {
      context(`with sortLeaves ${sortLeaves}`, function () {
        it("matches root, dump, every proof and multiproofs for 1..20, 31, 32, 33 and 100 record leaves", function () {
          const rng = createRng(SEED);
          for (const n of [...Array.from({ length: 20 }, (_, i) => i + 1), 31, 32, 33, 100]) {
            expectSameAsOz(recordLeaves(rng, n), [...LEAF_TYPES], sortLeaves, n);
          }
        });
      });
    }

    it("matches on random sizes and mixed static types (property)", function () {
      const typeArb = fc.constantFrom(
        "bytes32",
        "uint8",
        "uint64",
        "uint256",
        "int8",
        "int256",
        "address",
        "bool",
        "bytes4",
      );
      const valueOf = (type: string, rng: Rng): AbiValue => {
        switch (type) {
          case "bytes32":
            return hexOf(rng, 32);
          case "bytes4":
            return hexOf(rng, 4);
          case "address":
            return hexOf(rng, 20);
          case "bool":
            return rng.next() < 0.5;
          case "uint8":
            return rng.int(0, 255);
          case "uint64":
            return BigInt(hexOf(rng, 8));
          case "int8":
            return rng.int(-128, 127);
          case "int256":
            return BigInt.asIntN(256, BigInt(hexOf(rng, 32)));
          default:
            return BigInt(hexOf(rng, 32));
        }
      };
      fc.assert(
        fc.property(
          fc.array(typeArb, { minLength: 1, maxLength: 5 }),
          fc.integer({ min: 1, max: 40 }),
          fc.boolean(),
          fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          fc.boolean(),
          (types, n, sortLeaves, seed, withDuplicate) => {
            const rng = createRng(seed);
            const values = Array.from({ length: n }, () => types.map((t) => valueOf(t, rng)));
            // A repeated leaf exercises the stable sort of equal hashes.
            if (withDuplicate && n > 2) values[n - 1] = values[0];
            expectSameAsOz(values, types, sortLeaves, seed);
          },
        ),
        { numRuns: 60, seed: SEED },
      );
    });

    it("matches OZ's root and proofs on 2,000 leaves (the bucketed sort path)", function () {
      const values = recordLeaves(createRng(SEED + 1), 2000);
      const oz = StandardMerkleTree.of(values, [...LEAF_TYPES]);
      const fast = FastMerkleTree.of(values, LEAF_TYPES);
      expect(fast.root).to.equal(oz.root);
      for (const i of [0, 1, 999, 1998, 1999]) expect(fast.getProof(i)).to.deep.equal(oz.getProof(i));
    });

    it("sorts many leaves sharing a 16-bit prefix like OZ (the comparison-sort fallback)", function () {
      const rng = createRng(SEED + 2);
      const values = recordLeaves(rng, 300);
      const fast = FastMerkleTree.of(values, LEAF_TYPES);
      const hashes = values.map((_, i) => fast.leafHash(i));
      // Re-sort through fromLeafHashes with forced equal prefixes: leaf hashes 0xabcd... in input order.
      const forced = new Uint8Array(32 * values.length);
      hashes.forEach((h, i) => {
        forced.set(Buffer.from(h.slice(2), "hex"), 32 * i);
        forced[32 * i] = 0xab;
        forced[32 * i + 1] = 0xcd;
      });
      const tree = FastMerkleTree.fromLeafHashes(forced, values, LEAF_TYPES);
      const order = values.map((_, i) => i).sort((a, b) => (tree.leafHash(a) < tree.leafHash(b) ? -1 : 1));
      const byTreeIndex = tree.dump().values.map((v, i) => ({ i, t: v.treeIndex }));
      byTreeIndex.sort((a, b) => b.t - a.t);
      expect(byTreeIndex.map((x) => x.i)).to.deep.equal(order);
    });
  });

  describe("dump", function () {
    it("round-trips through StandardMerkleTree.load with the same root and proofs", function () {
      const values = recordLeaves(createRng(SEED + 3), 37);
      const fast = FastMerkleTree.of(values, LEAF_TYPES);
      const loaded = StandardMerkleTree.load(JSON.parse(JSON.stringify(fast.dump())) as never);
      expect(loaded.root).to.equal(fast.root);
      expect(loaded.getProof(5)).to.deep.equal(fast.getProof(5));
      expect(loaded.getMultiProof([3, 8, 21])).to.deep.equal(fast.getMultiProof([3, 8, 21]));
    });
  });

  describe("proofs", function () {
    it("verifies every proof and rejects a proof for a flipped leaf", function () {
      const values = recordLeaves(createRng(SEED + 4), 13);
      const tree = FastMerkleTree.of(values, LEAF_TYPES);
      for (let i = 0; i < values.length; i++) {
        expect(FastMerkleTree.verify(tree.root, tree.leafHash(i), tree.getProof(i))).to.equal(true);
      }
      const leaf = tree.leafHash(4);
      const flipped = `${leaf.slice(0, -1)}${leaf.endsWith("0") ? "1" : "0"}`;
      expect(FastMerkleTree.verify(tree.root, flipped, tree.getProof(4))).to.equal(false);
    });

    it("gives a one-leaf tree its leaf hash as root and an empty proof", function () {
      const values = recordLeaves(createRng(SEED + 5), 1);
      const tree = FastMerkleTree.of(values, LEAF_TYPES);
      expect(tree.root).to.equal(tree.leafHash(0));
      expect(tree.getProof(0)).to.deep.equal([]);
      expect(tree.root).to.equal(StandardMerkleTree.of(values, [...LEAF_TYPES]).root);
    });

    it("verifies hash multiproofs and rejects one with a changed leaf", function () {
      const values = recordLeaves(createRng(SEED + 6), 21);
      const tree = FastMerkleTree.of(values, LEAF_TYPES);
      const mp = tree.getMultiProofHashes([2, 7, 11, 20]);
      expect(FastMerkleTree.verifyMultiProof(tree.root, mp)).to.equal(true);
      const bad = { ...mp, leaves: [tree.leafHash(3), ...mp.leaves.slice(1)] };
      expect(FastMerkleTree.verifyMultiProof(tree.root, bad)).to.equal(false);
      expect(mp.leaves).to.have.members([2, 7, 11, 20].map((i) => tree.leafHash(i)));
    });

    it("rejects a duplicated multiproof index and an out-of-range index", function () {
      const tree = FastMerkleTree.of(recordLeaves(createRng(SEED + 7), 4), LEAF_TYPES);
      expect(() => tree.getMultiProof([1, 1])).to.throw(/duplicated index/);
      expect(() => tree.getProof(4)).to.throw(RangeError, /leaf index 4 is out of bounds for a tree of 4 leaves/);
      expect(() => tree.getProof(-1)).to.throw(RangeError);
    });

    it("rejects a malformed proof node with its position", function () {
      const tree = FastMerkleTree.of(recordLeaves(createRng(SEED + 8), 4), LEAF_TYPES);
      expect(() => FastMerkleTree.verify(tree.root, tree.leafHash(0), ["0x1234"])).to.throw(/proof\[0\]/);
    });
  });

  describe("input errors", function () {
    it("rejects an empty leaf list", function () {
      expect(() => FastMerkleTree.of([], LEAF_TYPES)).to.throw(/non-zero number of leaves/);
    });

    it("names the leaf and field of a bad value", function () {
      const values = recordLeaves(createRng(SEED + 9), 3);
      values[2] = [values[2][0], 1, -5, values[2][3]];
      expect(() => FastMerkleTree.of(values, LEAF_TYPES)).to.throw(/leaf 2: field 2 \(uint64\): -5 is out of range/);
    });

    it("rejects a dynamic ABI type", function () {
      expect(() => FastMerkleTree.of([["x"]], ["string"])).to.throw(/field 0 has type "string"/);
    });
  });

  describe("build", function () {
    it("initialises keccak itself and equals the synchronous builder", async function () {
      const values = recordLeaves(createRng(SEED + 10), 9);
      const built = await FastMerkleTree.build(values, LEAF_TYPES, { sortLeaves: false });
      expect(built.root).to.equal(FastMerkleTree.of(values, LEAF_TYPES, { sortLeaves: false }).root);
      expect(built.length).to.equal(9);
      expect(built.at(3)).to.equal(values[3]);
    });
  });
});
