import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import canonicalize from "canonicalize";
import { AbiCoder, id, keccak256, toUtf8Bytes } from "ethers";
import fc from "fast-check";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  checkRecordProof,
  FastMerkleTree,
  initMerkle,
  LEAF_TYPES,
  makeRecordProof,
  parseRecord,
  parseRecordProof,
  payloadHash,
  readRecordProof,
  RecordKind,
  recordLeaf,
  recordLeafHash,
  recordSchema,
  writeRecordProof,
  type GridRecord,
  type RecordProof,
} from "../../src/merkle/index.node";

const SEED = 11;

function reading(n: number, payload: GridRecord["payload"] = { bus: n, p_mw: 10.5 * n }): GridRecord {
  return { terminalId: id(`t${n % 4}`), kind: RecordKind.Reading, timestamp: 1325376000 + 900 * n, payload };
}

describe("merkle: record leaves", function () {
  before(async function () {
    await initMerkle();
  });

  describe("payloadHash", function () {
    it("is keccak256 of the UTF-8 canonical JSON for random JSON objects (property)", function () {
      fc.assert(
        fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (payload) => {
          const expected = keccak256(toUtf8Bytes(canonicalize(payload) as string));
          expect(payloadHash(payload)).to.equal(expected);
        }),
        { numRuns: 300, seed: SEED },
      );
    });

    it("does not depend on key order", function () {
      expect(payloadHash({ a: 1, b: { d: [1, 2], c: "x" } })).to.equal(payloadHash({ b: { c: "x", d: [1, 2] }, a: 1 }));
    });

    it("differs when one character of the payload changes", function () {
      expect(payloadHash({ p_mw: 10.5 })).to.not.equal(payloadHash({ p_mw: 10.6 }));
    });

    const bad: [string, () => object, RegExp][] = [
      ["NaN", () => ({ a: { b: [1, NaN] } }), /^payload\.a\.b\[1\]: NaN is not a JSON number$/],
      ["Infinity", () => ({ x: -Infinity }), /^payload\.x: -Infinity is not a JSON number$/],
      ["undefined", () => ({ "odd key": undefined }), /^payload\["odd key"\]: undefined is not JSON/],
      ["a bigint", () => ({ kwh: 5n }), /^payload\.kwh: bigint 5n is not JSON/],
      ["a function", () => ({ f: () => 1 }), /^payload\.f: a function is not JSON/],
      ["a Date", () => ({ at: new Date(0) }), /^payload\.at: a Date is not plain JSON/],
      ["a Map", () => ({ m: new Map() }), /^payload\.m: a Map is not plain JSON/],
      ["a sparse array", () => ({ s: [1, , 3] }), /^payload\.s\[1\]: a sparse-array hole is not JSON/],
      ["an array payload", () => [1, 2], /^payload: expected a JSON object, got an array/],
      [
        "a cycle",
        () => {
          const o: { self?: object } = {};
          o.self = o;
          return o;
        },
        /^payload\.self: circular reference/,
      ],
    ];
    for (const [what, make, message] of bad) {
      it(`rejects ${what} naming the field path`, function () {
        expect(() => payloadHash(make())).to.throw(message);
      });
    }

    it("accepts a null-prototype object", function () {
      const p = Object.assign(Object.create(null) as object, { a: 1 });
      expect(payloadHash(p)).to.equal(payloadHash({ a: 1 }));
    });
  });

  describe("recordLeaf and recordLeafHash", function () {
    it("match ethers' abi.encode and a double keccak256", function () {
      const r = reading(3);
      const values = [r.terminalId, r.kind, r.timestamp, payloadHash(r.payload)];
      expect(recordLeaf(r)).to.deep.equal(values);
      const encoded = AbiCoder.defaultAbiCoder().encode([...LEAF_TYPES], values);
      expect(recordLeafHash(r)).to.equal(keccak256(keccak256(encoded)));
    });

    it("equal StandardMerkleTree.leafHash of the leaf values", function () {
      const leaves = [reading(1), reading(2)].map(recordLeaf);
      const oz = StandardMerkleTree.of(leaves, [...LEAF_TYPES]);
      expect(recordLeafHash(reading(2))).to.equal(oz.leafHash(leaves[1]));
    });

    it("accept an uppercase terminalId and give the same leaf hash", function () {
      const r = reading(5);
      const upper = { ...r, terminalId: `0x${r.terminalId.slice(2).toUpperCase()}` };
      expect(recordLeafHash(upper)).to.equal(recordLeafHash(r));
    });

    const bad: [string, Partial<Record<keyof GridRecord, unknown>>, RegExp][] = [
      [
        "kind 4",
        { kind: 4 },
        /^record\.kind: kind must be 0 \(generic\), 1 \(reading\), 2 \(power transaction\), 3 \(event\), got 4$/,
      ],
      ["a negative timestamp", { timestamp: -1 }, /^record\.timestamp: expected whole unix seconds >= 0, got -1$/],
      ["a fractional timestamp", { timestamp: 1.5 }, /^record\.timestamp: expected whole unix seconds/],
      ["a short terminalId", { terminalId: "0x1234" }, /^record\.terminalId: expected 0x followed by 64 hex digits/],
      ["a non-hex terminalId", { terminalId: `0x${"zz".repeat(32)}` }, /^record\.terminalId: not hex/],
      ["a NaN in the payload", { payload: { v: NaN } }, /^record\.payload\.v: NaN is not a JSON number$/],
    ];
    for (const [what, patch, message] of bad) {
      it(`rejects ${what} naming the field`, function () {
        expect(() => recordLeafHash({ ...reading(1), ...patch } as GridRecord)).to.throw(message);
      });
    }
  });

  describe("FastMerkleTree.ofRecords", function () {
    it("builds the same tree as OZ over recordLeaf values, in input order", function () {
      const records = Array.from({ length: 25 }, (_, i) => reading(i));
      const tree = FastMerkleTree.ofRecords(records);
      const oz = StandardMerkleTree.of(records.map(recordLeaf), [...LEAF_TYPES]);
      expect(tree.root).to.equal(oz.root);
      expect(tree.getProof(17)).to.deep.equal(oz.getProof(17));
      expect(tree.at(17)).to.deep.equal(recordLeaf(records[17]));
    });

    it("names the index of a bad record", async function () {
      const records = [reading(0), reading(1), { ...reading(2), payload: { x: undefined } }] as GridRecord[];
      expect(() => FastMerkleTree.ofRecords(records)).to.throw(/^records\[2\]\.payload\.x: undefined is not JSON/);
      const rejected = await FastMerkleTree.fromRecords(records).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(rejected)
        .to.be.instanceOf(Error)
        .with.property("message")
        .that.matches(/^records\[2\]/);
    });
  });

  describe("recordSchema and parseRecord", function () {
    it("accepts a valid record", function () {
      const r = reading(2);
      expect(parseRecord(JSON.parse(JSON.stringify(r)))).to.deep.equal(r);
    });

    it("lists every bad field with its path", function () {
      const input = { terminalId: "0x12", kind: 9, timestamp: 1.5, payload: { a: [1, "x", { b: NaN }] } };
      expect(() => parseRecord(input, "batch.json:records[4]")).to.throw(
        /batch\.json:records\[4\]\.terminalId: expected 0x followed by 64 hex digits.*\.kind: kind must be.*\.timestamp: timestamp must be whole unix seconds.*\.payload\.a\[2\]\.b: NaN is not a JSON number/,
      );
    });

    it("rejects a field the leaf would not cover", function () {
      const r = recordSchema.safeParse({ ...reading(1), note: "not committed" });
      expect(r.success).to.equal(false);
      expect(() => parseRecord({ ...reading(1), note: "x" })).to.throw(/note/);
    });
  });
});

describe("merkle: record proof files", function () {
  let dir: string;
  const records = Array.from({ length: 6 }, (_, i) => reading(i));
  let tree: FastMerkleTree<ReturnType<typeof recordLeaf>>;

  before(async function () {
    await initMerkle();
    dir = mkdtempSync(join(tmpdir(), "merkle-proof-"));
    tree = FastMerkleTree.ofRecords(records);
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes, reads back and checks a proof with batch info", function () {
    const batch = { batchId: 3, chainId: 31337, contract: `0x${"ab".repeat(20)}` as const };
    const proof = makeRecordProof(tree, 4, records[4], batch);
    const file = join(dir, "r4.json");
    writeRecordProof(file, proof);
    const read = readRecordProof(file);
    expect(read).to.deep.equal(proof);
    expect(read.root).to.equal(tree.root);
    expect(read.batch).to.deep.equal(batch);
    expect(checkRecordProof(read)).to.deep.equal([]);
  });

  it("reports a tampered payload and a tampered leaf hash", function () {
    const proof = makeRecordProof(tree, 2, records[2]);
    const tampered: RecordProof = { ...proof, record: { ...proof.record, payload: { bus: 2, p_mw: 21.5 } } };
    expect(checkRecordProof(tampered)).to.deep.equal(["payload hash differs from the record's payload"]);
    const flipped = `0x${proof.leafHash.slice(2, -1)}${proof.leafHash.endsWith("0") ? "1" : "0"}` as const;
    expect(checkRecordProof({ ...proof, leafHash: flipped })).to.deep.equal([
      "leafHash is not the hash of the leaf values",
      "proof does not lead from leafHash to root",
    ]);
  });

  it("refuses to pair a leaf with another record", function () {
    expect(() => makeRecordProof(tree, 1, records[2])).to.throw(
      /leaf 1 of the tree was not built from the given record/,
    );
  });

  it("names the file and field of an invalid proof file", function () {
    const file = join(dir, "bad.json");
    const proof = JSON.parse(JSON.stringify(makeRecordProof(tree, 0, records[0]))) as {
      proof: string[];
      batch: object;
    };
    proof.proof[1] = "0x1234";
    proof.batch = { txHash: "nope" };
    writeFileSync(file, JSON.stringify(proof));
    expect(() => readRecordProof(file)).to.throw(
      new RegExp(
        `${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.proof\\[1\\]: expected 0x followed by 64 hex digits.*batch\\.txHash`,
      ),
    );
  });

  it("names the file of unreadable JSON", function () {
    const file = join(dir, "broken.json");
    writeFileSync(file, "{ not json");
    expect(() => readRecordProof(file)).to.throw(/broken\.json: cannot read a JSON record proof/);
    expect(() => parseRecordProof({ format: "other" }, "inline")).to.throw(/^inline\.format/);
    expect(readFileSync(file, "utf8")).to.equal("{ not json");
  });
});
