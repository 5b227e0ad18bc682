import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import golden from "../unit/fixtures/merkle-golden.json";
import { deployCoreDefault, StreamWriter } from "../helpers/fixtures";

type LeafValues = [string, number, number, string];
interface GoldenLeaf {
  values: LeafValues;
  leafHash: string;
  proof: string[];
}

const asLeaf = ([terminalId, kind, timestamp, payloadHash]: LeafValues) => ({
  terminalId,
  kind,
  timestamp,
  payloadHash,
});

// The same golden vectors the TypeScript builder is tested against (test/unit/merkle-golden.test.ts), on the
// contract side: RecordLeaf.hash gives each leaf hash, and DataAcquisition verifies each proof and multiproof.
describe("RecordLeaf golden vectors", function () {
  async function fixture() {
    const core = await loadFixture(deployCoreDefault);
    const harness = await (await ethers.getContractFactory("RecordLeafHarness")).deploy();
    return { ...core, harness, stream: new StreamWriter(core, core.terminals[0]) };
  }

  for (const vector of golden.vectors) {
    describe(vector.name, function () {
      const leaves = vector.leaves as unknown as GoldenLeaf[];

      it("hashes every leaf like the TypeScript builder", async function () {
        const { harness } = await fixture();
        for (const leaf of leaves) expect(await harness.hash(asLeaf(leaf.values))).to.equal(leaf.leafHash);
      });

      it("verifies every golden proof against the anchored root", async function () {
        const { acquisition, stream } = await fixture();
        await stream.anchorNext({ merkleRoot: vector.root, recordCount: leaves.length });
        for (const leaf of leaves) {
          expect(await acquisition.verifyRecord(vector.root, leaf.proof, asLeaf(leaf.values))).to.equal(true);
        }
        const multi = (vector as { multiProof?: { leaves: string[]; proof: string[]; proofFlags: boolean[] } })
          .multiProof;
        if (multi) {
          const byHash = new Map(leaves.map((l) => [l.leafHash, l.values]));
          const values = multi.leaves.map((h) => asLeaf(byHash.get(h)!));
          expect(await acquisition.verifyRecords(vector.root, multi.proof, multi.proofFlags, values)).to.equal(true);
        }
      });
    });
  }
});
