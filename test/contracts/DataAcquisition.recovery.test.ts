import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployCoreDefault, READING_POLICY, StreamWriter } from "../helpers/fixtures";
import { expectUnauthorized } from "../helpers/access";
import { hashHeader } from "../../src/chain/eip712";

/** Issue 12, point 3: a stream survives a stolen key. */
describe("DataAcquisition", function () {
  async function fixture() {
    const core = await loadFixture(deployCoreDefault);
    return { ...core, stream: new StreamWriter(core, core.terminals[0]) };
  }

  describe("resetStream", function () {
    context("when a stolen key anchored the next sequence first", function () {
      it("lets the admin move the tip back so the honest header anchors, and emits StreamReset", async function () {
        const { acquisition, admin, stream, terminals } = await fixture();
        const honest = await stream.anchorNext();
        const honestHash = hashHeader(honest.header);
        // The thief (holding the terminal's key) anchors sequence 2 before the terminal does.
        const forged = stream.header({ windowStart: honest.header.windowEnd });
        await time.setNextBlockTimestamp(Number(forged.windowEnd) + 1);
        await acquisition.anchorBatch(forged, stream.sign(forged));
        const real = { ...forged, merkleRoot: ethers.id("the honest records") };
        await expect(acquisition.anchorBatch(real, stream.sign(real)))
          .to.be.revertedWithCustomError(acquisition, "StreamTipMismatch")
          .withArgs(terminals[0].id, 2n, honestHash);

        await expect(acquisition.connect(admin).resetStream(terminals[0].id, 1n, honestHash, "key stolen"))
          .to.emit(acquisition, "StreamReset")
          .withArgs(terminals[0].id, 1n, honestHash, "key stolen");
        expect(await acquisition.extendsStream(terminals[0].id, 2n, honestHash)).to.equal(true);
        await expect(acquisition.anchorBatch(real, stream.sign(real))).to.emit(acquisition, "BatchAnchored");
        // The forged batch stays on record (roots are written once); the stream went on from the honest tip.
        expect((await acquisition.batchByRoot(forged.merkleRoot)).batchId).to.equal(2n);
        expect((await acquisition.batchByRoot(real.merkleRoot)).batchId).to.equal(3n);
      });

      it("resets to genesis with sequence 0, and refuses a genesis reset with a header hash", async function () {
        const { acquisition, admin, stream, terminals } = await fixture();
        await stream.anchorNext();
        await acquisition.connect(admin).resetStream(terminals[0].id, 0n, ethers.ZeroHash, "re-provisioned");
        expect(await acquisition.extendsStream(terminals[0].id, 1n, ethers.ZeroHash)).to.equal(true);
        await expect(acquisition.connect(admin).resetStream(terminals[0].id, 0n, ethers.id("x"), ""))
          .to.be.revertedWithCustomError(acquisition, "InvalidStreamReset")
          .withArgs(0n, ethers.id("x"));
      });
    });

    it("is restricted to the admin", async function () {
      const { acquisition, stranger, terminals } = await fixture();
      await expectUnauthorized(
        acquisition,
        acquisition.connect(stranger).resetStream(terminals[0].id, 0n, ethers.ZeroHash, ""),
        stranger.address,
        await acquisition.DEFAULT_ADMIN_ROLE(),
      );
    });
  });

  describe("anchorBatch after a key rotation", function () {
    it("accepts a header signed by the previous key for a window that closed before the rotation", async function () {
      const { acquisition, registry, admin, stream, terminals } = await fixture();
      const header = stream.header({ windowStart: BigInt(Math.floor((await time.latest()) / 900) * 900 + 900) });
      // The window closes, then the key is rotated before the old key's header is mined.
      await time.setNextBlockTimestamp(Number(header.windowEnd) + 5);
      await registry.connect(admin).rotateSigner(terminals[0].id, ethers.Wallet.createRandom().address);
      await expect(acquisition.anchorBatch(header, stream.sign(header))).to.emit(acquisition, "BatchAnchored");
    });

    it("refuses the previous key for a window still open at the rotation", async function () {
      const { acquisition, registry, admin, stream, terminals } = await fixture();
      const header = stream.header({ windowStart: BigInt(Math.floor((await time.latest()) / 900) * 900 + 900) });
      const fresh = ethers.Wallet.createRandom();
      await time.setNextBlockTimestamp(Number(header.windowEnd) - 10);
      await registry.connect(admin).rotateSigner(terminals[0].id, fresh.address);
      await time.setNextBlockTimestamp(Number(header.windowEnd) + READING_POLICY.tolerance / 2);
      await expect(acquisition.anchorBatch(header, stream.sign(header)))
        .to.be.revertedWithCustomError(acquisition, "SignerMismatch")
        .withArgs(terminals[0].id, terminals[0].wallet.address, fresh.address);
    });
  });
});
