import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import {
  deployCoreDefault,
  deployCoreWithAnchorer,
  EVENT_POLICY,
  nextAlignedWindow,
  READING_POLICY,
  StreamWriter,
} from "../helpers/fixtures";
import { expectUnauthorized } from "../helpers/access";
import { hashHeader, headerDigest } from "../../src/chain/eip712";
import { DataType, TerminalStatus, TriggerMode } from "../../src/chain/types";
import type { DataAcquisition } from "../../typechain-types";

const LEAF_TYPES = ["bytes32", "uint8", "uint64", "bytes32"];
type LeafTuple = [string, number, bigint, string];

function leaves(terminalId: string, n: number): LeafTuple[] {
  return Array.from({ length: n }, (_, i) => [
    terminalId,
    1,
    1_700_000_000n + BigInt(i) * 900n,
    ethers.id(`payload ${i}`),
  ]);
}

const asLeaf = ([terminalId, kind, timestamp, payloadHash]: LeafTuple) => ({
  terminalId,
  kind,
  timestamp,
  payloadHash,
});

describe("DataAcquisition", function () {
  async function fixture() {
    const core = await loadFixture(deployCoreDefault);
    const stream = new StreamWriter(core, core.terminals[0]);
    return { ...core, stream };
  }

  describe("constructor", function () {
    it("wires the registry, grants roles and exposes the EIP-712 domain", async function () {
      const { acquisition, registry, admin, domain } = await fixture();
      expect(await acquisition.registry()).to.equal(await registry.getAddress());
      expect(await acquisition.hasRole(await acquisition.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await acquisition.hasRole(await acquisition.POLICY_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await acquisition.version()).to.equal("2.0.0");
      const d = await acquisition.eip712Domain();
      expect([d.name, d.version, d.chainId, d.verifyingContract]).to.deep.equal([
        domain.name,
        domain.version,
        domain.chainId,
        domain.verifyingContract,
      ]);
    });

    it("rejects a zero registry or admin", async function () {
      const { registry, admin } = await fixture();
      const factory = await ethers.getContractFactory("DataAcquisition");
      await expect(factory.deploy(ethers.ZeroAddress, admin.address))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("registry");
      await expect(factory.deploy(await registry.getAddress(), ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("admin");
    });
  });

  describe("setPolicy", function () {
    it("stores the policy and emits PolicySet", async function () {
      const { acquisition, policyAdmin } = await fixture();
      const policy = { ...READING_POLICY, tolerance: 120, maxRecords: 50 };
      await expect(acquisition.connect(policyAdmin).setPolicy(7, policy))
        .to.emit(acquisition, "PolicySet")
        .withArgs(7, [
          policy.tolerance,
          policy.timeScale,
          policy.maxRecords,
          policy.sensorCount,
          policy.trigger,
          policy.enabled,
        ]);
      const stored = await acquisition.policyOf(7);
      expect(stored.tolerance).to.equal(120n);
      expect(stored.maxRecords).to.equal(50n);
      expect(stored.enabled).to.equal(true);
    });

    it("rejects a zero tolerance, a zero maxRecords and a time-driven policy without a time scale", async function () {
      const { acquisition, policyAdmin } = await fixture();
      const set = (p: typeof READING_POLICY) => acquisition.connect(policyAdmin).setPolicy(9, p);
      await expect(set({ ...READING_POLICY, tolerance: 0 }))
        .to.be.revertedWithCustomError(acquisition, "InvalidPolicy")
        .withArgs(9, "tolerance");
      await expect(set({ ...READING_POLICY, maxRecords: 0 }))
        .to.be.revertedWithCustomError(acquisition, "InvalidPolicy")
        .withArgs(9, "maxRecords");
      await expect(set({ ...READING_POLICY, timeScale: 0 }))
        .to.be.revertedWithCustomError(acquisition, "InvalidPolicy")
        .withArgs(9, "timeScale");
      await expect(set({ ...EVENT_POLICY, timeScale: 0 })).to.emit(acquisition, "PolicySet");
    });

    it("is restricted to policy admins", async function () {
      const { acquisition, stranger } = await fixture();
      const unauthorizedRole = await acquisition.POLICY_ADMIN_ROLE();
      await expectUnauthorized(
        acquisition,
        acquisition.connect(stranger).setPolicy(1, READING_POLICY),
        stranger.address,
        unauthorizedRole,
      );
    });
  });

  describe("setAnchorerRequired", function () {
    it("switches the requirement and emits AnchorerRequirementSet", async function () {
      const { acquisition, admin } = await fixture();
      await expect(acquisition.connect(admin).setAnchorerRequired(true))
        .to.emit(acquisition, "AnchorerRequirementSet")
        .withArgs(true);
      expect(await acquisition.anchorerRequired()).to.equal(true);
      await expect(acquisition.connect(admin).setAnchorerRequired(false))
        .to.emit(acquisition, "AnchorerRequirementSet")
        .withArgs(false);
      expect(await acquisition.anchorerRequired()).to.equal(false);
    });

    it("is restricted to the admin", async function () {
      const { acquisition, policyAdmin } = await fixture();
      const unauthorizedRole = await acquisition.DEFAULT_ADMIN_ROLE();
      await expectUnauthorized(
        acquisition,
        acquisition.connect(policyAdmin).setAnchorerRequired(true),
        policyAdmin.address,
        unauthorizedRole,
      );
    });
  });

  describe("pause and unpause", function () {
    it("pauses anchoring until unpaused", async function () {
      const { acquisition, admin, stream } = await fixture();
      await expect(acquisition.connect(admin).pause()).to.emit(acquisition, "Paused").withArgs(admin.address);
      expect(await acquisition.paused()).to.equal(true);
      const header = stream.header({ windowStart: await nextAlignedWindow() });
      await time.setNextBlockTimestamp(Number(header.windowEnd) + 1);
      await expect(acquisition.anchorBatch(header, stream.sign(header))).to.be.revertedWithCustomError(
        acquisition,
        "EnforcedPause",
      );
      await expect(acquisition.connect(admin).unpause()).to.emit(acquisition, "Unpaused").withArgs(admin.address);
      await expect(acquisition.anchorBatch(header, stream.sign(header))).to.emit(acquisition, "BatchAnchored");
    });

    context("when a pause outlasts the tolerance", function () {
      const TOLERANCE = READING_POLICY.tolerance;
      const PAUSE = 7_200;

      /** Pauses at `pausedAt`, unpauses PAUSE seconds later, and returns both times. */
      async function pauseBetween(acquisition: DataAcquisition, pausedAt: number) {
        await time.setNextBlockTimestamp(pausedAt);
        await acquisition.pause();
        await time.setNextBlockTimestamp(pausedAt + PAUSE);
        await acquisition.unpause();
        expect(await acquisition.lastPause()).to.deep.equal([BigInt(pausedAt), BigInt(pausedAt + PAUSE)]);
        return { pausedAt, unpausedAt: pausedAt + PAUSE };
      }

      it("anchors a window that closed during the pause, the tolerance running from the unpause", async function () {
        const { acquisition, stream } = await fixture();
        const header = stream.header({ windowStart: await nextAlignedWindow() });
        const end = Number(header.windowEnd);
        const { unpausedAt } = await pauseBetween(acquisition, end - 60);
        expect(await acquisition.anchorDeadline(header.dataType, header.windowEnd)).to.equal(unpausedAt + TOLERANCE);
        // Two hours after the window closed: stale by the plain tolerance of 600 s.
        await time.setNextBlockTimestamp(unpausedAt + TOLERANCE);
        await expect(acquisition.anchorBatch(header, stream.sign(header)))
          .to.emit(acquisition, "BatchAnchored")
          .withArgs(
            1n,
            header.terminalId,
            header.merkleRoot,
            header.dataType,
            1n,
            header.windowStart,
            header.windowEnd,
            header.recordCount,
            hashHeader(header),
          );
      });

      it("withholds the grace while a later pause lasts", async function () {
        const { acquisition, admin, stream } = await fixture();
        const header = stream.header({ windowStart: await nextAlignedWindow() });
        const end = Number(header.windowEnd);
        const { unpausedAt } = await pauseBetween(acquisition, end - 60);
        await time.setNextBlockTimestamp(unpausedAt + 10);
        await acquisition.connect(admin).pause();
        expect(await acquisition.anchorDeadline(header.dataType, header.windowEnd)).to.equal(end + TOLERANCE);
      });

      it("gives a window that closed before the pause only the tolerance it had left", async function () {
        const { acquisition, stream } = await fixture();
        const header = stream.header({ windowStart: await nextAlignedWindow() });
        const end = Number(header.windowEnd);
        // 500 of the 600 s were used before the pause: 100 s remain after it.
        const { unpausedAt } = await pauseBetween(acquisition, end + 500);
        expect(await acquisition.anchorDeadline(header.dataType, header.windowEnd)).to.equal(unpausedAt + 100);
        await time.setNextBlockTimestamp(unpausedAt + 101);
        await expect(acquisition.anchorBatch(header, stream.sign(header)))
          .to.be.revertedWithCustomError(acquisition, "StaleWindow")
          .withArgs(header.windowEnd, unpausedAt + 101, TOLERANCE);
      });

      it("adds no grace to windows that closed after the last pause", async function () {
        const { acquisition, admin, stream } = await fixture();
        const header = stream.header({ windowStart: (await nextAlignedWindow()) + BigInt(3 * PAUSE) });
        const end = Number(header.windowEnd);
        const { unpausedAt } = await pauseBetween(acquisition, end - 2 * PAUSE);
        expect(unpausedAt).to.be.lessThan(end);
        expect(await acquisition.anchorDeadline(header.dataType, header.windowEnd)).to.equal(end + TOLERANCE);
        await time.setNextBlockTimestamp(end + 60);
        await acquisition.connect(admin).pause();
        expect(await acquisition.anchorDeadline(header.dataType, header.windowEnd)).to.equal(end + TOLERANCE);
      });
    });

    it("rejects unpausing when not paused", async function () {
      const { acquisition, admin } = await fixture();
      await expect(acquisition.connect(admin).unpause()).to.be.revertedWithCustomError(acquisition, "ExpectedPause");
    });

    it("is restricted to the admin", async function () {
      const { acquisition, stranger } = await fixture();
      const role = await acquisition.DEFAULT_ADMIN_ROLE();
      await expectUnauthorized(acquisition, acquisition.connect(stranger).pause(), stranger.address, role);
      await expectUnauthorized(acquisition, acquisition.connect(stranger).unpause(), stranger.address, role);
    });
  });

  describe("anchorBatch", function () {
    context("with a valid signed header", function () {
      it("returns the new batch id, stores the root record and emits BatchAnchored", async function () {
        const { acquisition, stream, stranger, terminals } = await fixture();
        const header = stream.header({ windowStart: await nextAlignedWindow() });
        const signature = stream.sign(header);
        const anchoredAt = Number(header.windowEnd) + 7;
        await time.setNextBlockTimestamp(anchoredAt);
        // Any relayer may submit while the anchorer role is not required.
        const relayed = acquisition.connect(stranger);
        expect(await relayed.anchorBatch.staticCall(header, signature, { blockTag: "pending" })).to.equal(1n);
        await expect(relayed.anchorBatch(header, signature))
          .to.emit(acquisition, "BatchAnchored")
          .withArgs(
            1n,
            terminals[0].id,
            header.merkleRoot,
            header.dataType,
            header.sequence,
            header.windowStart,
            header.windowEnd,
            header.recordCount,
            hashHeader(header),
          );
        const record = await acquisition.batchByRoot(header.merkleRoot);
        expect(record.batchId).to.equal(1n);
        expect(record.anchoredAt).to.equal(BigInt(anchoredAt));
        expect(record.blockNumber).to.equal(BigInt(await ethers.provider.getBlockNumber()));
        expect(record.dataType).to.equal(BigInt(DataType.Reading));
        expect(record.recordCount).to.equal(BigInt(header.recordCount));
        expect(await acquisition.batchCount()).to.equal(1n);
        expect(await acquisition.extendsStream(terminals[0].id, 2n, hashHeader(header))).to.equal(true);
        expect(await acquisition.extendsStream(terminals[0].id, 1n, ethers.ZeroHash)).to.equal(false);
      });

      it("chains a stream's headers and numbers batches across streams", async function () {
        const core = await fixture();
        const first = await core.stream.anchorNext();
        const other = new StreamWriter(core, core.terminals[1]);
        const windowStart = first.header.windowEnd;
        await other.anchorNext({ windowStart });
        const second = await core.stream.anchorNext({ windowStart: windowStart + 900n });
        expect(second.header.sequence).to.equal(2n);
        expect(second.header.prevHeaderHash).to.equal(hashHeader(first.header));
        expect((await core.acquisition.batchByRoot(second.header.merkleRoot)).batchId).to.equal(3n);
      });

      it("accepts an event-driven window up to one time scale long, and a multi-period time-driven window", async function () {
        const core = await fixture();
        const start = await nextAlignedWindow();
        const events = new StreamWriter(core, core.terminals[1], DataType.Event);
        await events.anchorNext({ windowStart: start + 7n, windowEnd: start + 7n + BigInt(EVENT_POLICY.timeScale) });
        await core.stream.anchorNext({ windowStart: start, windowEnd: start + 3n * 900n });
        expect(await core.acquisition.batchCount()).to.equal(2n);
      });

      it("accepts only anchorer-role holders when required", async function () {
        const core = await loadFixture(deployCoreWithAnchorer);
        const stream = new StreamWriter(core, core.terminals[0]);
        const header = stream.header({ windowStart: await nextAlignedWindow() });
        await time.setNextBlockTimestamp(Number(header.windowEnd) + 1);
        const unauthorizedRole = await core.acquisition.ANCHORER_ROLE();
        await expectUnauthorized(
          core.acquisition,
          core.acquisition.connect(core.stranger).anchorBatch(header, stream.sign(header)),
          core.stranger.address,
          unauthorizedRole,
        );
        await expect(core.acquisition.connect(core.anchorer).anchorBatch(header, stream.sign(header))).to.emit(
          core.acquisition,
          "BatchAnchored",
        );
      });
    });

    context("with a root problem", function () {
      it("rejects a zero root", async function () {
        const { acquisition, stream } = await fixture();
        const header = stream.header({ windowStart: await nextAlignedWindow(), merkleRoot: ethers.ZeroHash });
        await expect(acquisition.anchorBatch(header, stream.sign(header))).to.be.revertedWithCustomError(
          acquisition,
          "ZeroMerkleRoot",
        );
      });

      it("rejects a replayed header as an already anchored root", async function () {
        const { acquisition, stream } = await fixture();
        const { header } = await stream.anchorNext();
        await expect(acquisition.anchorBatch(header, stream.sign(header)))
          .to.be.revertedWithCustomError(acquisition, "RootAlreadyAnchored")
          .withArgs(header.merkleRoot, 1n);
      });

      it("never writes a root twice, even from another stream", async function () {
        const core = await fixture();
        const { header } = await core.stream.anchorNext();
        const other = new StreamWriter(core, core.terminals[1]);
        const copy = other.header({ windowStart: header.windowStart, merkleRoot: header.merkleRoot });
        await expect(core.acquisition.anchorBatch(copy, other.sign(copy)))
          .to.be.revertedWithCustomError(core.acquisition, "RootAlreadyAnchored")
          .withArgs(header.merkleRoot, 1n);
      });
    });

    context("with a policy problem", function () {
      async function expectPolicyRevert(
        overrides: Record<string, unknown>,
        error: string,
        args: unknown[],
        at?: (end: bigint) => number,
      ) {
        const { acquisition, stream } = await fixture();
        const start = await nextAlignedWindow();
        const header = stream.header({ windowStart: start, ...overrides });
        await time.setNextBlockTimestamp(at ? at(header.windowEnd) : Number(header.windowEnd) + 1);
        const resolved = args.map((a) => (typeof a === "function" ? a(header, start) : a));
        await expect(acquisition.anchorBatch(header, stream.sign(header)))
          .to.be.revertedWithCustomError(acquisition, error)
          .withArgs(...resolved);
      }

      it("rejects a data type without an enabled policy", async function () {
        await expectPolicyRevert({ dataType: 42 }, "UnknownDataType", [42]);
      });

      it("rejects an empty batch and one above maxRecords", async function () {
        await expectPolicyRevert({ recordCount: 0 }, "RecordCountOutOfRange", [0, READING_POLICY.maxRecords]);
        await expectPolicyRevert({ recordCount: READING_POLICY.maxRecords + 1 }, "RecordCountOutOfRange", [
          READING_POLICY.maxRecords + 1,
          READING_POLICY.maxRecords,
        ]);
      });

      it("rejects a window that ends before it starts", async function () {
        const { acquisition, stream } = await fixture();
        const start = await nextAlignedWindow();
        const header = stream.header({ windowStart: start, windowEnd: start - 1n });
        await time.setNextBlockTimestamp(Number(start) + 1);
        await expect(acquisition.anchorBatch(header, stream.sign(header)))
          .to.be.revertedWithCustomError(acquisition, "InvalidWindow")
          .withArgs(start, start - 1n);
      });

      it("rejects time-driven windows that are empty, unaligned or not whole periods", async function () {
        const { acquisition, stream } = await fixture();
        const start = await nextAlignedWindow();
        for (const [ws, we] of [
          [start, start],
          [start + 1n, start + 901n],
          [start, start + 1000n],
        ]) {
          const header = stream.header({ windowStart: ws, windowEnd: we });
          await time.setNextBlockTimestamp(Number(we) + 1 + Number(ws - start));
          await expect(acquisition.anchorBatch(header, stream.sign(header)))
            .to.be.revertedWithCustomError(acquisition, "WindowNotAligned")
            .withArgs(ws, we, READING_POLICY.timeScale);
        }
      });

      it("rejects an event-driven window longer than one time scale", async function () {
        const core = await fixture();
        const events = new StreamWriter(core, core.terminals[1], DataType.Event);
        const start = await nextAlignedWindow();
        const header = events.header({ windowStart: start, windowEnd: start + BigInt(EVENT_POLICY.timeScale) + 1n });
        await time.setNextBlockTimestamp(Number(header.windowEnd) + 1);
        await expect(core.acquisition.anchorBatch(header, events.sign(header)))
          .to.be.revertedWithCustomError(core.acquisition, "WindowNotAligned")
          .withArgs(header.windowStart, header.windowEnd, EVENT_POLICY.timeScale);
      });

      it("rejects a window ending in the future", async function () {
        const end = (h: { windowEnd: bigint }) => h.windowEnd;
        const now = (h: { windowEnd: bigint }) => h.windowEnd - 1n;
        await expectPolicyRevert({}, "WindowInFuture", [end, now], (e) => Number(e) - 1);
      });

      it("rejects a window older than the tolerance", async function () {
        const end = (h: { windowEnd: bigint }) => h.windowEnd;
        const late = (h: { windowEnd: bigint }) => h.windowEnd + BigInt(READING_POLICY.tolerance) + 1n;
        await expectPolicyRevert(
          {},
          "StaleWindow",
          [end, late, READING_POLICY.tolerance],
          (e) => Number(e) + READING_POLICY.tolerance + 1,
        );
      });

      it("accepts a window exactly at the tolerance", async function () {
        const { acquisition, stream } = await fixture();
        const header = stream.header({ windowStart: await nextAlignedWindow() });
        await time.setNextBlockTimestamp(Number(header.windowEnd) + READING_POLICY.tolerance);
        await expect(acquisition.anchorBatch(header, stream.sign(header))).to.emit(acquisition, "BatchAnchored");
      });
    });

    context("with a terminal or signature problem", function () {
      it("rejects a suspended, revoked or unknown terminal", async function () {
        const { acquisition, registry, registrar, admin, stream, terminals } = await fixture();
        const header = stream.header({ windowStart: await nextAlignedWindow() });
        await registry.connect(registrar).suspend(terminals[0].id);
        await time.setNextBlockTimestamp(Number(header.windowEnd) + 1);
        await expect(acquisition.anchorBatch(header, stream.sign(header)))
          .to.be.revertedWithCustomError(acquisition, "TerminalNotActive")
          .withArgs(terminals[0].id, TerminalStatus.Suspended);
        await registry.connect(admin).revoke(terminals[0].id);
        await expect(acquisition.anchorBatch(header, stream.sign(header)))
          .to.be.revertedWithCustomError(acquisition, "TerminalNotActive")
          .withArgs(terminals[0].id, TerminalStatus.Revoked);
        const unknown = { ...header, terminalId: ethers.id("nobody") };
        await expect(acquisition.anchorBatch(unknown, stream.sign(unknown)))
          .to.be.revertedWithCustomError(acquisition, "TerminalNotActive")
          .withArgs(unknown.terminalId, TerminalStatus.Unregistered);
      });

      it("rejects a header signed by another key", async function () {
        const { acquisition, stream, terminals } = await fixture();
        const header = stream.header({ windowStart: await nextAlignedWindow() });
        await time.setNextBlockTimestamp(Number(header.windowEnd) + 1);
        await expect(acquisition.anchorBatch(header, stream.sign(header, terminals[1].wallet)))
          .to.be.revertedWithCustomError(acquisition, "SignerMismatch")
          .withArgs(terminals[0].id, terminals[1].wallet.address, terminals[0].wallet.address);
      });

      it("rejects a signature over a different header", async function () {
        const { acquisition, stream, terminals } = await fixture();
        const header = stream.header({ windowStart: await nextAlignedWindow() });
        const signature = stream.sign(header);
        const altered = { ...header, recordCount: header.recordCount + 1 };
        await time.setNextBlockTimestamp(Number(header.windowEnd) + 1);
        await expect(acquisition.anchorBatch(altered, signature))
          .to.be.revertedWithCustomError(acquisition, "SignerMismatch")
          .withArgs(terminals[0].id, (a: string) => a !== terminals[0].wallet.address, terminals[0].wallet.address);
      });

      it("rejects a malleable (high-s) signature and a malformed one", async function () {
        const { acquisition, stream } = await fixture();
        const header = stream.header({ windowStart: await nextAlignedWindow() });
        const sig = ethers.Signature.from(stream.sign(header));
        const highS = ethers.toBeHex(secp256k1.Point.CURVE().n - BigInt(sig.s), 32);
        const malleable = ethers.concat([sig.r, highS, ethers.toBeHex(sig.v === 27 ? 28 : 27, 1)]);
        await time.setNextBlockTimestamp(Number(header.windowEnd) + 1);
        await expect(acquisition.anchorBatch(header, malleable))
          .to.be.revertedWithCustomError(acquisition, "ECDSAInvalidSignatureS")
          .withArgs(highS);
        await expect(acquisition.anchorBatch(header, "0x1234"))
          .to.be.revertedWithCustomError(acquisition, "ECDSAInvalidSignatureLength")
          .withArgs(2);
      });

      it("accepts the new key after a rotation and refuses the old one", async function () {
        const { acquisition, registry, admin, stream, terminals } = await fixture();
        const before = await stream.anchorNext();
        const fresh = ethers.Wallet.createRandom();
        await registry.connect(admin).rotateSigner(terminals[0].id, fresh.address);
        const header = stream.header({ windowStart: before.header.windowEnd });
        await time.setNextBlockTimestamp(Number(header.windowEnd) + 1);
        await expect(acquisition.anchorBatch(header, stream.sign(header)))
          .to.be.revertedWithCustomError(acquisition, "SignerMismatch")
          .withArgs(terminals[0].id, terminals[0].wallet.address, fresh.address);
        await expect(acquisition.anchorBatch(header, stream.sign(header, fresh))).to.emit(acquisition, "BatchAnchored");
        expect((await acquisition.batchByRoot(before.header.merkleRoot)).batchId).to.equal(1n);
      });
    });

    context("with a stream problem", function () {
      it("rejects a skipped, repeated or zero sequence and a wrong previous hash", async function () {
        const { acquisition, stream, terminals } = await fixture();
        const { header: first } = await stream.anchorNext();
        const start = first.windowEnd;
        const cases = [
          { sequence: 3n, prevHeaderHash: hashHeader(first) },
          { sequence: 1n, prevHeaderHash: ethers.ZeroHash },
          { sequence: 0n, prevHeaderHash: ethers.ZeroHash },
          { sequence: 2n, prevHeaderHash: ethers.id("not the previous header") },
        ];
        await time.setNextBlockTimestamp(Number(start) + 901);
        for (const c of cases) {
          const header = stream.header({ windowStart: start, ...c });
          await expect(acquisition.anchorBatch(header, stream.sign(header)))
            .to.be.revertedWithCustomError(acquisition, "StreamTipMismatch")
            .withArgs(terminals[0].id, c.sequence, c.prevHeaderHash);
        }
      });

      it("rejects a first batch that claims a previous header", async function () {
        const { acquisition, stream, terminals } = await fixture();
        const prev = ethers.id("phantom");
        const header = stream.header({ windowStart: await nextAlignedWindow(), prevHeaderHash: prev });
        await time.setNextBlockTimestamp(Number(header.windowEnd) + 1);
        await expect(acquisition.anchorBatch(header, stream.sign(header)))
          .to.be.revertedWithCustomError(acquisition, "StreamTipMismatch")
          .withArgs(terminals[0].id, 1n, prev);
      });
    });
  });

  describe("multicall", function () {
    it("anchors several batches in one transaction with consecutive ids", async function () {
      const core = await fixture();
      const other = new StreamWriter(core, core.terminals[1]);
      const windowStart = await nextAlignedWindow();
      const a = core.stream.header({ windowStart });
      const b = other.header({ windowStart });
      const calls = [
        core.acquisition.interface.encodeFunctionData("anchorBatch", [a, core.stream.sign(a)]),
        core.acquisition.interface.encodeFunctionData("anchorBatch", [b, other.sign(b)]),
      ];
      await time.setNextBlockTimestamp(Number(a.windowEnd) + 1);
      const tx = core.acquisition.multicall(calls);
      await expect(tx)
        .to.emit(core.acquisition, "BatchAnchored")
        .withArgs(
          1n,
          a.terminalId,
          a.merkleRoot,
          a.dataType,
          1n,
          a.windowStart,
          a.windowEnd,
          a.recordCount,
          hashHeader(a),
        );
      await expect(tx)
        .to.emit(core.acquisition, "BatchAnchored")
        .withArgs(
          2n,
          b.terminalId,
          b.merkleRoot,
          b.dataType,
          1n,
          b.windowStart,
          b.windowEnd,
          b.recordCount,
          hashHeader(b),
        );
      expect((await core.acquisition.batchByRoot(b.merkleRoot)).batchId).to.equal(2n);
    });

    it("anchors nothing when one of the batches is refused", async function () {
      const core = await fixture();
      const windowStart = await nextAlignedWindow();
      const good = core.stream.header({ windowStart });
      const bad = { ...good, merkleRoot: ethers.ZeroHash };
      const calls = [good, bad].map((h) =>
        core.acquisition.interface.encodeFunctionData("anchorBatch", [h, core.stream.sign(h)]),
      );
      await time.setNextBlockTimestamp(Number(good.windowEnd) + 1);
      await expect(core.acquisition.multicall(calls)).to.be.revertedWithCustomError(core.acquisition, "ZeroMerkleRoot");
      expect(await core.acquisition.batchCount()).to.equal(0n);
    });
  });

  describe("hashing", function () {
    it("matches the TypeScript struct hash and digest", async function () {
      const { acquisition, stream, domain } = await fixture();
      const header = stream.header({ windowStart: 1_800_000_000n });
      expect(await acquisition.hashHeader(header)).to.equal(hashHeader(header));
      expect(await acquisition.headerDigest(header)).to.equal(headerDigest(domain, header));
    });
  });

  describe("proofs", function () {
    async function anchoredTree(n: number) {
      const core = await fixture();
      const values = leaves(core.terminals[0].id, n);
      const tree = StandardMerkleTree.of(values, LEAF_TYPES);
      await core.stream.anchorNext({ merkleRoot: tree.root, recordCount: n });
      return { ...core, values, tree };
    }

    it("verifies every record of a batch, single and hashed", async function () {
      const { acquisition, values, tree } = await anchoredTree(13);
      for (const [i, v] of tree.entries()) {
        const proof = tree.getProof(i);
        expect(await acquisition.verifyRecord(tree.root, proof, asLeaf(v as LeafTuple))).to.equal(true);
        expect(await acquisition.verifyLeafHash(tree.root, proof, tree.leafHash(v))).to.equal(true);
      }
      expect(values.length).to.equal(13);
    });

    it("verifies a one-record batch with an empty proof", async function () {
      const { acquisition, tree, values } = await anchoredTree(1);
      expect(tree.getProof(0)).to.deep.equal([]);
      expect(await acquisition.verifyRecord(tree.root, [], asLeaf(values[0]))).to.equal(true);
    });

    it("rejects a tampered record, another root and an unknown root", async function () {
      const { acquisition, tree, values, stream } = await anchoredTree(8);
      const proof = tree.getProof(3);
      const leaf = asLeaf(values[3]);
      expect(await acquisition.verifyRecord(tree.root, proof, { ...leaf, timestamp: leaf.timestamp + 1n })).to.equal(
        false,
      );
      const flipped = ethers.toBeHex(BigInt(leaf.payloadHash) ^ 1n, 32);
      expect(await acquisition.verifyRecord(tree.root, proof, { ...leaf, payloadHash: flipped })).to.equal(false);
      // The proof folds to tree.root: naming another anchored root is refused even though both are on chain.
      const other = ethers.id("another anchored root");
      await stream.anchorNext({ merkleRoot: other, recordCount: 8 });
      expect(await acquisition.verifyRecord(other, proof, leaf)).to.equal(false);
      expect(await acquisition.verifyRecord(ethers.id("never anchored"), [], { ...leaf, kind: 2 })).to.equal(false);
    });

    it("rejects a proof that folds to a root never anchored", async function () {
      const { acquisition, terminals } = await fixture();
      const values = leaves(terminals[0].id, 4);
      const tree = StandardMerkleTree.of(values, LEAF_TYPES);
      expect(await acquisition.verifyRecord(tree.root, tree.getProof(0), asLeaf(values[0]))).to.equal(false);
    });

    it("identifies a batch by root, whatever id the inclusion order gave it", async function () {
      const { acquisition, tree, values } = await anchoredTree(4);
      expect((await acquisition.batchByRoot(tree.root)).batchId).to.equal(1n);
      // The same records anchored second on another chain (a reorg reorders them) still verify by root.
      const { acquisition: reordered, stream: other } = await fixture();
      await other.anchorNext({ merkleRoot: ethers.id("first on this fork"), recordCount: 4 });
      await other.anchorNext({ merkleRoot: tree.root, recordCount: 4 });
      expect((await reordered.batchByRoot(tree.root)).batchId).to.equal(2n);
      expect(await reordered.verifyRecord(tree.root, tree.getProof(1), asLeaf(values[1]))).to.equal(true);
    });

    context("when the hash is not a record's leaf", function () {
      it("refuses the root itself with an empty proof", async function () {
        const { acquisition, tree } = await anchoredTree(8);
        expect(await acquisition.verifyLeafHash(tree.root, [], tree.root)).to.equal(false);
      });

      it("refuses an inner node with its proof", async function () {
        const { acquisition, tree } = await anchoredTree(8);
        // The tree is an array (root at 0, children of i at 2i+1 and 2i+2); node 1 is an inner node at depth 1.
        const layout = tree.dump().tree;
        expect(await acquisition.verifyLeafHash(tree.root, [layout[2]], layout[1])).to.equal(false);
        expect(await acquisition.verifyLeafHash(tree.root, [layout[6], layout[1]], layout[5])).to.equal(false);
      });

      it("refuses a multiproof with no leaves, which folds to the root it is given", async function () {
        const { acquisition, tree } = await anchoredTree(8);
        expect(await acquisition.verifyRecords(tree.root, [tree.root], [], [])).to.equal(false);
      });

      it("refuses more leaves than the batch has records", async function () {
        const { acquisition, tree, values } = await anchoredTree(2);
        const multi = tree.getMultiProof([0, 1]);
        const picked = multi.leaves.map((l) => asLeaf(l as LeafTuple));
        expect(await acquisition.verifyRecords(tree.root, multi.proof, multi.proofFlags, picked)).to.equal(true);
        // Declared as a one-record batch, the same root cannot prove two records.
        const { acquisition: other, stream } = await fixture();
        await stream.anchorNext({ merkleRoot: tree.root, recordCount: 1 });
        expect(await other.verifyRecords(tree.root, multi.proof, multi.proofFlags, picked)).to.equal(false);
        expect(values.length).to.equal(2);
      });
    });

    it("verifies a multiproof and rejects it with a tampered leaf", async function () {
      const { acquisition, tree, values } = await anchoredTree(16);
      const multi = tree.getMultiProof([1, 4, 9, 15]);
      const picked = multi.leaves.map((l) => asLeaf(l as LeafTuple));
      expect(await acquisition.verifyRecords(tree.root, multi.proof, multi.proofFlags, picked)).to.equal(true);
      picked[2] = { ...picked[2], kind: 3 };
      expect(await acquisition.verifyRecords(tree.root, multi.proof, multi.proofFlags, picked)).to.equal(false);
      expect(values.length).to.equal(16);
    });
  });

  describe("policy trigger modes", function () {
    it("exposes the stored trigger", async function () {
      const { acquisition } = await fixture();
      expect((await acquisition.policyOf(DataType.Reading)).trigger).to.equal(BigInt(TriggerMode.TimeDriven));
      expect((await acquisition.policyOf(DataType.Event)).trigger).to.equal(BigInt(TriggerMode.EventDriven));
    });
  });
});
