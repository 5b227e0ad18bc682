import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployCoreDefault } from "../helpers/fixtures";
import { expectUnauthorized } from "../helpers/access";

/** Issue 12, point 3: a registrar alone cannot swap in its own key at once. */
describe("TerminalRegistry", function () {
  const DAY = 86_400;

  async function fixture() {
    const core = await loadFixture(deployCoreDefault);
    return { ...core, fresh: ethers.Wallet.createRandom() };
  }

  describe("rotateSigner from a registrar", function () {
    it("schedules the rotation after the delay, keeps the current key, and emits SignerRotationScheduled", async function () {
      const { registry, registrar, terminals, fresh } = await fixture();
      expect(await registry.rotationDelay()).to.equal(BigInt(DAY));
      const at = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(at);
      const tx = registry.connect(registrar).rotateSigner(terminals[0].id, fresh.address);
      const effectiveAt = at + DAY;
      await expect(tx)
        .to.emit(registry, "SignerRotationScheduled")
        .withArgs(terminals[0].id, fresh.address, effectiveAt);
      await expect(tx).not.to.emit(registry, "SignerRotated");
      expect(await registry.signerOf(terminals[0].id)).to.equal(terminals[0].wallet.address);
      const pending = await registry.pendingRotation(terminals[0].id);
      expect([pending.newSigner, pending.effectiveAt]).to.deep.equal([fresh.address, BigInt(effectiveAt)]);
      // The key is bound at once: nobody can take it meanwhile.
      expect(await registry.terminalOfSigner(fresh.address)).to.equal(terminals[0].id);
    });

    it("takes effect through applySignerRotation once due, not before", async function () {
      const { registry, registrar, stranger, terminals, fresh } = await fixture();
      await registry.connect(registrar).rotateSigner(terminals[0].id, fresh.address);
      const { effectiveAt } = await registry.pendingRotation(terminals[0].id);
      const early = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(early);
      await expect(registry.connect(stranger).applySignerRotation(terminals[0].id))
        .to.be.revertedWithCustomError(registry, "RotationNotDue")
        .withArgs(terminals[0].id, effectiveAt, early);
      await time.setNextBlockTimestamp(Number(effectiveAt));
      await expect(registry.connect(stranger).applySignerRotation(terminals[0].id))
        .to.emit(registry, "SignerRotated")
        .withArgs(terminals[0].id, terminals[0].wallet.address, fresh.address, effectiveAt);
      expect(await registry.signerOf(terminals[0].id)).to.equal(fresh.address);
      expect((await registry.pendingRotation(terminals[0].id)).effectiveAt).to.equal(0n);
      await expect(registry.applySignerRotation(terminals[0].id))
        .to.be.revertedWithCustomError(registry, "NoPendingRotation")
        .withArgs(terminals[0].id);
    });

    it("refuses a second rotation while one is pending, and a due rotation of a revoked terminal", async function () {
      const { registry, admin, registrar, terminals, fresh } = await fixture();
      await registry.connect(registrar).rotateSigner(terminals[0].id, fresh.address);
      const { effectiveAt } = await registry.pendingRotation(terminals[0].id);
      const other = ethers.Wallet.createRandom().address;
      await expect(registry.connect(registrar).rotateSigner(terminals[0].id, other))
        .to.be.revertedWithCustomError(registry, "RotationAlreadyPending")
        .withArgs(terminals[0].id, fresh.address, effectiveAt);
      await registry.connect(admin).revoke(terminals[0].id);
      await time.setNextBlockTimestamp(Number(effectiveAt));
      await expect(registry.applySignerRotation(terminals[0].id)).to.be.revertedWithCustomError(
        registry,
        "InvalidStatusTransition",
      );
    });

    it("is immediate when the admin set a zero delay", async function () {
      const { registry, admin, registrar, terminals, fresh } = await fixture();
      await expect(registry.connect(admin).setRotationDelay(0)).to.emit(registry, "RotationDelaySet").withArgs(0);
      await expect(registry.connect(registrar).rotateSigner(terminals[0].id, fresh.address)).to.emit(
        registry,
        "SignerRotated",
      );
      expect(await registry.signerOf(terminals[0].id)).to.equal(fresh.address);
    });
  });

  describe("cancelSignerRotation", function () {
    it("lets the admin cancel a scheduled rotation and emits SignerRotationCancelled", async function () {
      const { registry, admin, registrar, terminals, fresh } = await fixture();
      await registry.connect(registrar).rotateSigner(terminals[0].id, fresh.address);
      await expect(registry.connect(admin).cancelSignerRotation(terminals[0].id))
        .to.emit(registry, "SignerRotationCancelled")
        .withArgs(terminals[0].id, fresh.address);
      expect((await registry.pendingRotation(terminals[0].id)).newSigner).to.equal(ethers.ZeroAddress);
      await expect(registry.connect(admin).cancelSignerRotation(terminals[0].id))
        .to.be.revertedWithCustomError(registry, "NoPendingRotation")
        .withArgs(terminals[0].id);
    });

    it("is restricted to the admin, as is setRotationDelay", async function () {
      const { registry, registrar, terminals } = await fixture();
      const adminRole = await registry.DEFAULT_ADMIN_ROLE();
      await expectUnauthorized(
        registry,
        registry.connect(registrar).cancelSignerRotation(terminals[0].id),
        registrar.address,
        adminRole,
      );
      await expectUnauthorized(registry, registry.connect(registrar).setRotationDelay(0), registrar.address, adminRole);
    });
  });
});
