import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { HDNodeWallet } from "ethers";
import { deployCoreDefault, StreamWriter } from "../helpers/fixtures";
import { initMerkle } from "../../src/merkle";
import { packageHeadDigest, PackageTree, type PackageHead } from "../../src/chain/packages";

const LEAF_TYPES = ["bytes32", "uint8", "uint64", "bytes32"];
type LeafTuple = [string, number, bigint, string];
const asLeaf = ([terminalId, kind, timestamp, payloadHash]: LeafTuple) => ({
  terminalId,
  kind,
  timestamp,
  payloadHash,
});

/**
 * Issue 12, point 2: a record's leaf names a terminal, and only that terminal's signature, made with the key the
 * registry lists for it at the record's time, lets the record verify as signed.
 */
describe("DataAcquisition", function () {
  before(async function () {
    await initMerkle();
  });

  async function fixture() {
    const core = await loadFixture(deployCoreDefault);
    return { ...core, stream: new StreamWriter(core, core.terminals[0]) };
  }

  /** Records of `terminalId` at `times`, anchored as one batch of `stream` (terminal 0's), and their package tree. */
  async function anchoredRecords(
    core: Awaited<ReturnType<typeof fixture>>,
    terminalId: string,
    times: bigint[],
    stream = core.stream,
  ) {
    const values: LeafTuple[] = times.map((t, i) => [terminalId, 1, t, ethers.id(`payload ${i}`)]);
    const tree = StandardMerkleTree.of(values, LEAF_TYPES);
    await stream.anchorNext({ merkleRoot: tree.root, recordCount: values.length });
    const leafHashes = ethers.getBytes(ethers.concat(values.map((v) => tree.leafHash(v))));
    const packageTree = new PackageTree(leafHashes);
    const head: PackageHead = {
      terminalId,
      periodStart: Number(times[0]),
      recordCount: values.length,
      recordsRoot: packageTree.root,
    };
    const { chainId } = await ethers.provider.getNetwork();
    const sign = (wallet: HDNodeWallet, h: PackageHead = head) =>
      wallet.signingKey.sign(packageHeadDigest(chainId, h)).serialized;
    const args = (i: number, signature: string, h: PackageHead = head) =>
      [tree.root, tree.getProof(i), asLeaf(values[i]), h, packageTree.proof(i), signature] as const;
    return { values, tree, packageTree, head, sign, args, chainId };
  }

  describe("verifySignedRecord", function () {
    context("when the record's own terminal signed its package with its key of the time", function () {
      it("returns true for every record", async function () {
        const core = await fixture();
        const now = BigInt(await time.latest());
        const r = await anchoredRecords(core, core.terminals[0].id, [now, now + 1n, now + 2n]);
        const signature = r.sign(core.terminals[0].wallet);
        for (let i = 0; i < 3; i++) {
          expect(await core.acquisition.verifySignedRecord(...r.args(i, signature))).to.equal(true);
        }
      });

      it("computes the package digest the TypeScript signer signs", async function () {
        const core = await fixture();
        const r = await anchoredRecords(core, core.terminals[0].id, [BigInt(await time.latest())]);
        expect(await core.acquisition.packageDigest(r.head)).to.equal(packageHeadDigest(r.chainId, r.head));
      });
    });

    context("when another terminal signed the records", function () {
      it("refuses records attributed to terminal 0 but signed with terminal 1's key", async function () {
        const core = await fixture();
        const now = BigInt(await time.latest());
        const r = await anchoredRecords(core, core.terminals[0].id, [now, now + 1n]);
        // Batch inclusion alone still says yes: that is what let any terminal put words in another's mouth.
        expect(await core.acquisition.verifyRecord(r.tree.root, r.tree.getProof(0), asLeaf(r.values[0]))).to.equal(
          true,
        );
        expect(await core.acquisition.verifySignedRecord(...r.args(0, r.sign(core.terminals[1].wallet)))).to.equal(
          false,
        );
      });

      it("refuses a package of another terminal, even correctly signed by it", async function () {
        const core = await fixture();
        const now = BigInt(await time.latest());
        const r = await anchoredRecords(core, core.terminals[0].id, [now]);
        const foreign = { ...r.head, terminalId: core.terminals[1].id };
        const signature = r.sign(core.terminals[1].wallet, foreign);
        expect(await core.acquisition.verifySignedRecord(...r.args(0, signature, foreign))).to.equal(false);
      });
    });

    context("when the key was not the one the terminal held at the record's time", function () {
      it("accepts the old key for records before a rotation and refuses it after", async function () {
        const core = await fixture();
        const { registry, admin, terminals } = core;
        const before = BigInt(await time.latest());
        const newKey = ethers.Wallet.createRandom();
        await registry.connect(admin).rotateSigner(terminals[0].id, newKey.address);
        const rotatedAt = BigInt(await time.latest());
        // Terminal 1 generates the batch: its stream is not the rotated terminal's.
        const generator = new StreamWriter(core, terminals[1]);
        const r = await anchoredRecords(core, terminals[0].id, [before, rotatedAt + 1n], generator);
        const oldSignature = r.sign(terminals[0].wallet);
        expect(await core.acquisition.verifySignedRecord(...r.args(0, oldSignature))).to.equal(true);
        expect(await core.acquisition.verifySignedRecord(...r.args(1, oldSignature))).to.equal(false);
        const newSignature = r.sign(newKey);
        expect(await core.acquisition.verifySignedRecord(...r.args(0, newSignature))).to.equal(false);
        expect(await core.acquisition.verifySignedRecord(...r.args(1, newSignature))).to.equal(true);
      });

      it("accepts a record from before the registration (a backfill) signed with the first key only", async function () {
        const core = await fixture();
        const { registry, admin, terminals } = core;
        const newKey = ethers.Wallet.createRandom();
        await registry.connect(admin).rotateSigner(terminals[0].id, newKey.address);
        const r = await anchoredRecords(core, terminals[0].id, [1_000n], new StreamWriter(core, terminals[1]));
        expect(await core.acquisition.verifySignedRecord(...r.args(0, r.sign(terminals[0].wallet)))).to.equal(true);
        expect(await core.acquisition.verifySignedRecord(...r.args(0, r.sign(newKey)))).to.equal(false);
      });
    });

    context("when the proofs or the signature do not add up", function () {
      it("refuses a wrong package proof, an unanchored root, a bad signature and an out-of-range time", async function () {
        const core = await fixture();
        const now = BigInt(await time.latest());
        const r = await anchoredRecords(core, core.terminals[0].id, [now, now + 1n, now + 2n]);
        const signature = r.sign(core.terminals[0].wallet);
        const [root, proof, leaf, head, packageProof] = r.args(0, signature);
        const acquisition = core.acquisition;
        expect(
          await acquisition.verifySignedRecord(root, proof, leaf, head, r.packageTree.proof(1), signature),
        ).to.equal(false);
        expect(
          await acquisition.verifySignedRecord(ethers.id("not anchored"), proof, leaf, head, packageProof, signature),
        ).to.equal(false);
        expect(await acquisition.verifySignedRecord(root, proof, leaf, head, packageProof, "0x1234")).to.equal(false);
        const late = { ...leaf, timestamp: 2n ** 40n };
        expect(await acquisition.verifySignedRecord(root, proof, late, head, packageProof, signature)).to.equal(false);
        const tampered = { ...leaf, payloadHash: ethers.id("tampered") };
        expect(await acquisition.verifySignedRecord(root, proof, tampered, head, packageProof, signature)).to.equal(
          false,
        );
      });
    });
  });
});
