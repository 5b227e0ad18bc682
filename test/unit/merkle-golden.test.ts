/**
 * Golden vectors for the record leaf and batch tree, shared with the Solidity tests. The expected
 * values are computed with independent tools (canonicalize + ethers keccak256/AbiCoder for leaves,
 * OZ StandardMerkleTree for roots and proofs) and frozen in fixtures/merkle-golden.json; src/merkle
 * must reproduce every byte. Regenerate after a deliberate format change with
 * `MERKLE_GOLDEN_WRITE=1 TS_NODE_TRANSPILE_ONLY=true npx mocha -r ts-node/register test/unit/merkle-golden.test.ts`.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import canonicalize from "canonicalize";
import { AbiCoder, id, keccak256, toUtf8Bytes } from "ethers";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  FastMerkleTree,
  initMerkle,
  LEAF_TYPES,
  payloadHash,
  RecordKind,
  recordLeaf,
  recordLeafHash,
  type GridRecord,
} from "../../src/merkle";

const FIXTURE = join(__dirname, "fixtures", "merkle-golden.json");

interface GoldenLeaf {
  payloadCanonical: string;
  payloadHash: string;
  values: [string, number, number, string];
  leafHash: string;
  proof: string[];
}
interface GoldenVector {
  name: string;
  sortLeaves: boolean;
  records: GridRecord[];
  leaves: GoldenLeaf[];
  root: string;
  multiProof?: { indices: number[]; leaves: string[]; proof: string[]; proofFlags: boolean[] };
}
interface GoldenFile {
  description: string;
  leafEncoding: string[];
  vectors: GoldenVector[];
}

const terminal = (n: number): string => id(`gridledger:terminal:${n}`);

/** The inputs; everything else in the fixture is derived from them. */
const INPUTS: { name: string; sortLeaves: boolean; records: GridRecord[] }[] = [
  {
    name: "one-reading",
    sortLeaves: true,
    records: [
      {
        terminalId: terminal(1),
        kind: RecordKind.Reading,
        timestamp: 1325376000,
        payload: { bus: 16, p_mw: 329.4, q_mvar: 32.3, v_pu: 1.0, temperature_c: -3.5 },
      },
    ],
  },
  {
    name: "reading-and-transaction",
    sortLeaves: true,
    records: [
      {
        terminalId: terminal(2),
        kind: RecordKind.Reading,
        timestamp: 1325376900,
        payload: { bus: 3, p_mw: 322, q_mvar: 2.4, v_pu: 1.0307, temperature_c: -2.9, flags: [] },
      },
      {
        terminalId: terminal(3),
        kind: RecordKind.PowerTransaction,
        timestamp: 1325376900,
        payload: {
          seller: terminal(3),
          buyer: terminal(4),
          kwh: 125.5,
          price_eur_mwh: 41.27,
          frame: { start: 1325376900, end: 1325377800 },
        },
      },
    ],
  },
  {
    name: "jcs-edge-cases",
    sortLeaves: true,
    records: [
      { terminalId: terminal(5), kind: RecordKind.Generic, timestamp: 0, payload: {} },
      {
        terminalId: terminal(5),
        kind: RecordKind.Event,
        timestamp: 4294967296,
        payload: { b: 1, a: 2, A: 3, "10": 4, "2": 5, é: 6, "€": 7, "😀": 8, "": 9 },
      },
      {
        terminalId: terminal(6),
        kind: RecordKind.Reading,
        timestamp: Number.MAX_SAFE_INTEGER,
        payload: { big: 1e21, small: 1e-7, negZero: -0, sum: 0.1 + 0.2, max: 2 ** 53, neg: -1.5e-300 },
      },
      {
        terminalId: terminal(7),
        kind: RecordKind.Event,
        timestamp: 1700000000,
        payload: {
          text: 'quote " backslash \\ newline \n tab \t control \u0001 euro € emoji 😀',
          nested: { z: [true, false, null, { y: [] }], a: { c: 1, b: 2 } },
        },
      },
      {
        terminalId: terminal(8),
        kind: RecordKind.PowerTransaction,
        timestamp: 1700000900,
        payload: { seller: terminal(8), buyer: terminal(5), kwh: 0, price_eur_mwh: -12.5 },
      },
    ],
  },
  {
    name: "unsorted-three",
    sortLeaves: false,
    records: [1, 2, 3].map((k) => ({
      terminalId: terminal(10 + k),
      kind: RecordKind.Reading,
      timestamp: 1325376000 + 900 * k,
      payload: { bus: k, p_mw: 100 * k + 0.25 },
    })),
  },
];

/** Derives a vector with tools independent of src/merkle. */
function derive(input: (typeof INPUTS)[number]): GoldenVector {
  const coder = AbiCoder.defaultAbiCoder();
  const leaves = input.records.map((r) => {
    const payloadCanonical = canonicalize(r.payload) as string;
    const ph = keccak256(toUtf8Bytes(payloadCanonical));
    const values: GoldenLeaf["values"] = [r.terminalId, r.kind, r.timestamp, ph];
    return {
      payloadCanonical,
      payloadHash: ph,
      values,
      leafHash: keccak256(keccak256(coder.encode([...LEAF_TYPES], values))),
      proof: [] as string[],
    };
  });
  const oz = StandardMerkleTree.of(
    leaves.map((l) => l.values),
    [...LEAF_TYPES],
    { sortLeaves: input.sortLeaves },
  );
  leaves.forEach((l, i) => {
    expect(oz.leafHash(l.values)).to.equal(l.leafHash);
    l.proof = oz.getProof(i);
  });
  const vector: GoldenVector = { ...input, leaves, root: oz.root };
  if (leaves.length >= 3) {
    const indices = [0, leaves.length - 1];
    const mp = oz.getMultiProof(indices);
    vector.multiProof = {
      indices,
      leaves: mp.leaves.map((v) => oz.leafHash(v)),
      proof: mp.proof,
      proofFlags: mp.proofFlags,
    };
  }
  return vector;
}

describe("merkle: golden vectors", function () {
  let golden: GoldenFile;

  before(async function () {
    await initMerkle();
    if (process.env.MERKLE_GOLDEN_WRITE === "1") {
      const file: GoldenFile = {
        description:
          "GridLedger record leaves and batch trees. payloadHash = keccak256(utf8(RFC 8785 JCS(payload))); " +
          "leafHash = keccak256(keccak256(abi.encode(bytes32 terminalId, uint8 kind, uint64 timestamp, bytes32 payloadHash))); " +
          "root and proofs as @openzeppelin/merkle-tree StandardMerkleTree (commutative keccak256 node hash), " +
          "verifiable with OpenZeppelin MerkleProof.verify / multiProofVerify.",
        leafEncoding: [...LEAF_TYPES],
        vectors: INPUTS.map(derive),
      };
      writeFileSync(FIXTURE, `${JSON.stringify(file, null, 2)}\n`);
    }
    golden = JSON.parse(readFileSync(FIXTURE, "utf8")) as GoldenFile;
  });

  it("holds exactly what the independent tools derive from its inputs", function () {
    expect(golden.leafEncoding).to.deep.equal([...LEAF_TYPES]);
    expect(golden.vectors.map((v) => v.name)).to.deep.equal(INPUTS.map((i) => i.name));
    // JSON cannot hold -0; the fixture's records are compared after the same round trip.
    expect(golden.vectors).to.deep.equal(JSON.parse(JSON.stringify(INPUTS.map(derive))));
  });

  it("reproduces every payload hash, leaf and leaf hash with src/merkle", function () {
    for (const v of golden.vectors) {
      v.records.forEach((r, i) => {
        expect(payloadHash(r.payload), `${v.name}[${i}]`).to.equal(v.leaves[i].payloadHash);
        expect(recordLeaf(r)).to.deep.equal(v.leaves[i].values);
        expect(recordLeafHash(r)).to.equal(v.leaves[i].leafHash);
      });
    }
  });

  it("reproduces every root, proof and multiproof with FastMerkleTree", function () {
    for (const v of golden.vectors) {
      const tree = FastMerkleTree.ofRecords(v.records, { sortLeaves: v.sortLeaves });
      expect(tree.root, v.name).to.equal(v.root);
      v.leaves.forEach((l, i) => {
        expect(tree.leafHash(i)).to.equal(l.leafHash);
        expect(tree.getProof(i)).to.deep.equal(l.proof);
        expect(FastMerkleTree.verify(v.root, l.leafHash, l.proof)).to.equal(true);
      });
      if (v.multiProof) {
        const { indices, ...expected } = v.multiProof;
        expect(tree.getMultiProofHashes(indices)).to.deep.equal(expected);
        expect(FastMerkleTree.verifyMultiProof(v.root, expected)).to.equal(true);
      }
    }
  });

  it("pins the single-record root to its leaf hash", function () {
    const [single] = golden.vectors;
    expect(single.leaves).to.have.length(1);
    expect(single.root).to.equal(single.leaves[0].leafHash);
    expect(single.leaves[0].payloadCanonical).to.equal(
      '{"bus":16,"p_mw":329.4,"q_mvar":32.3,"temperature_c":-3.5,"v_pu":1}',
    );
  });
});
