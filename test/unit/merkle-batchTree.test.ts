import { expect } from "chai";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  BatchTree,
  checkRecordProof,
  initMerkle,
  LEAF_TYPES,
  recordLeaf,
  RecordKind,
  type GridRecord,
} from "../../src/merkle";

const TERMINAL = `0x${"5a".repeat(32)}`;

function records(n: number, seed = 0): GridRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    terminalId: TERMINAL,
    kind: i % 3 === 0 ? RecordKind.PowerTransaction : RecordKind.Reading,
    timestamp: 1_700_000_000 + i,
    payload: { recordId: `s${seed}-${i}`, value: i * 7 + seed },
  }));
}

describe("merkle: BatchTree", function () {
  before(initMerkle);

  for (const n of [1, 2, 3, 7, 100]) {
    context(`with ${n} record(s)`, function () {
      it("has StandardMerkleTree's root and gives its proof of every record", function () {
        const rs = records(n, n);
        const oz = StandardMerkleTree.of(
          rs.map((r) => recordLeaf(r)),
          [...LEAF_TYPES],
        );
        const tree = BatchTree.ofRecords(rs);
        expect(tree.root).to.equal(oz.root);
        expect(tree.length).to.equal(n);
        rs.forEach((r, i) => {
          const proof = tree.recordProof(r, { batchId: 1 })!;
          expect(proof.proof).to.deep.equal(oz.getProof(i));
          expect(proof.leafHash).to.equal(oz.leafHash(recordLeaf(r)));
          expect(tree.proof(proof.leafHash)).to.deep.equal(oz.getProof(i));
          expect(checkRecordProof(proof)).to.deep.equal([]);
        });
      });
    });
  }

  it("reads back from its nodes (a stored tree file) with the same root and proofs", function () {
    const rs = records(33);
    const built = BatchTree.ofRecords(rs);
    const loaded = new BatchTree(Uint8Array.from(built.nodes));
    expect(loaded.root).to.equal(built.root);
    expect(loaded.recordProof(rs[17])).to.deep.equal(built.recordProof(rs[17]));
  });

  it("has no proof of a record it was not built from", function () {
    const tree = BatchTree.ofRecords(records(10));
    expect(tree.recordProof(records(1, 99)[0])).to.equal(undefined);
    expect(tree.proof(`0x${"00".repeat(32)}`)).to.equal(undefined);
    expect(tree.proof(`0x${"ff".repeat(32)}`)).to.equal(undefined);
  });

  it("refuses nodes that are not an odd number of 32-byte words, naming the source", function () {
    expect(() => new BatchTree(new Uint8Array(64), "p1.tree")).to.throw(
      /p1.tree: expected an odd number of 32-byte nodes, got 64 bytes/,
    );
    expect(() => new BatchTree(new Uint8Array(33), "p1.tree")).to.throw(/got 33 bytes/);
    expect(() => new BatchTree(new Uint8Array(0))).to.throw(/batch tree: .*got 0 bytes/);
  });

  it("refuses a proof whose path does not fold to the stored root (a damaged tree)", function () {
    const rs = records(8);
    const nodes = Uint8Array.from(BatchTree.ofRecords(rs).nodes);
    nodes[5] ^= 1; // the root no longer matches its children
    expect(() => new BatchTree(nodes).recordProof(rs[0])).to.throw(/does not fold to the root/);
  });

  it("names the record's bad field", function () {
    const bad = { ...records(1)[0], timestamp: -1 };
    expect(() => BatchTree.ofRecords([records(1)[0], bad])).to.throw(/records\[1\].*timestamp/);
  });
});
