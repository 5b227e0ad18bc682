import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployCoreDefault, location } from "../helpers/fixtures";
import { expectUnauthorized } from "../helpers/access";
import { TerminalKind, TerminalStatus } from "../../src/chain/types";

describe("TerminalRegistry", function () {
  const NEW_ID = ethers.id("ieee39.bus30.meter");

  async function fixture() {
    const core = await loadFixture(deployCoreDefault);
    const signer = ethers.Wallet.createRandom();
    return { ...core, signer };
  }

  describe("constructor", function () {
    it("grants the admin both roles", async function () {
      const { registry, admin } = await fixture();
      expect(await registry.hasRole(await registry.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await registry.hasRole(await registry.REGISTRAR_ROLE(), admin.address)).to.equal(true);
      expect(await registry.version()).to.equal("2.0.0");
    });

    it("rejects a zero admin", async function () {
      const factory = await ethers.getContractFactory("TerminalRegistry");
      await expect(factory.deploy(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("admin");
    });
  });

  describe("register", function () {
    context("when called by a registrar", function () {
      it("stores the terminal, binds its signer and emits TerminalRegistered", async function () {
        const { registry, registrar, signer } = await fixture();
        const loc = location(30);
        const tx = registry
          .connect(registrar)
          .register(NEW_ID, signer.address, TerminalKind.SmartMeter, loc, "ipfs://m");
        await expect(tx)
          .to.emit(registry, "TerminalRegistered")
          .withArgs(NEW_ID, signer.address, TerminalKind.SmartMeter, [loc.gridId, loc.bus, loc.geohash], "ipfs://m");
        const now = await time.latest();
        const t = await registry.getTerminal(NEW_ID);
        expect(t.signer).to.equal(signer.address);
        expect(t.kind).to.equal(TerminalKind.SmartMeter);
        expect(t.status).to.equal(TerminalStatus.Active);
        expect(t.registeredAt).to.equal(now);
        expect(t.location.bus).to.equal(30);
        expect(t.metadataURI).to.equal("ipfs://m");
        expect(await registry.isActive(NEW_ID)).to.equal(true);
        expect(await registry.signerOf(NEW_ID)).to.equal(signer.address);
        expect(await registry.terminalOfSigner(signer.address)).to.equal(NEW_ID);
        expect(await registry.terminalCount()).to.equal(3n);
        expect(await registry.terminalIdAt(2)).to.equal(NEW_ID);
        const history = await registry.signerHistory(NEW_ID);
        expect(history.map((e) => [e.signer, e.validFrom, e.validUntil])).to.deep.equal([
          [signer.address, BigInt(now), 0n],
        ]);
      });

      it("registers several terminals in one transaction through multicall", async function () {
        const { registry, registrar } = await fixture();
        const a = ethers.Wallet.createRandom();
        const b = ethers.Wallet.createRandom();
        const calls = [
          registry.interface.encodeFunctionData("register", [
            ethers.id("a"),
            a.address,
            TerminalKind.FTU,
            location(7),
            "",
          ]),
          registry.interface.encodeFunctionData("register", [
            ethers.id("b"),
            b.address,
            TerminalKind.TTU,
            location(8),
            "",
          ]),
        ];
        await expect(registry.connect(registrar).multicall(calls))
          .to.emit(registry, "TerminalRegistered")
          .withArgs(ethers.id("b"), b.address, TerminalKind.TTU, (l: unknown) => Array.isArray(l), "");
        expect(await registry.terminalCount()).to.equal(4n);
      });

      it("rejects a zero terminal id", async function () {
        const { registry, registrar, signer } = await fixture();
        await expect(
          registry.connect(registrar).register(ethers.ZeroHash, signer.address, TerminalKind.PMU, location(1), ""),
        ).to.be.revertedWithCustomError(registry, "ZeroTerminalId");
      });

      it("rejects a duplicate id", async function () {
        const { registry, registrar, terminals, signer } = await fixture();
        await expect(
          registry.connect(registrar).register(terminals[0].id, signer.address, TerminalKind.PMU, location(1), ""),
        )
          .to.be.revertedWithCustomError(registry, "TerminalAlreadyRegistered")
          .withArgs(terminals[0].id);
      });

      it("rejects a zero signer", async function () {
        const { registry, registrar } = await fixture();
        await expect(
          registry.connect(registrar).register(NEW_ID, ethers.ZeroAddress, TerminalKind.PMU, location(1), ""),
        )
          .to.be.revertedWithCustomError(registry, "ZeroAddress")
          .withArgs("signer");
      });

      it("rejects a signer bound to another terminal", async function () {
        const { registry, registrar, terminals } = await fixture();
        const taken = terminals[0].wallet.address;
        await expect(registry.connect(registrar).register(NEW_ID, taken, TerminalKind.PMU, location(1), ""))
          .to.be.revertedWithCustomError(registry, "SignerAlreadyBound")
          .withArgs(taken, terminals[0].id);
      });
    });

    context("when called by anyone else", function () {
      it("reverts with AccessControlUnauthorizedAccount", async function () {
        const { registry, stranger, signer } = await fixture();
        const unauthorizedRole = await registry.REGISTRAR_ROLE();
        await expectUnauthorized(
          registry,
          registry.connect(stranger).register(NEW_ID, signer.address, TerminalKind.PMU, location(1), ""),
          stranger.address,
          unauthorizedRole,
        );
      });
    });
  });

  describe("suspend and reactivate", function () {
    it("suspends an active terminal and emits TerminalSuspended", async function () {
      const { registry, registrar, terminals } = await fixture();
      const id = terminals[0].id;
      await expect(registry.connect(registrar).suspend(id)).to.emit(registry, "TerminalSuspended").withArgs(id);
      expect(await registry.isActive(id)).to.equal(false);
      const t = await registry.getTerminal(id);
      expect(t.status).to.equal(TerminalStatus.Suspended);
      expect(t.statusChangedAt).to.equal(await time.latest());
      expect((await registry.signerAndStatus(id)).status).to.equal(TerminalStatus.Suspended);
    });

    it("reactivates a suspended terminal and emits TerminalReactivated", async function () {
      const { registry, registrar, terminals } = await fixture();
      const id = terminals[0].id;
      await registry.connect(registrar).suspend(id);
      await expect(registry.connect(registrar).reactivate(id)).to.emit(registry, "TerminalReactivated").withArgs(id);
      expect(await registry.isActive(id)).to.equal(true);
    });

    it("rejects suspending a suspended terminal and reactivating an active one", async function () {
      const { registry, registrar, terminals } = await fixture();
      const id = terminals[0].id;
      await expect(registry.connect(registrar).reactivate(id))
        .to.be.revertedWithCustomError(registry, "InvalidStatusTransition")
        .withArgs(id, TerminalStatus.Active, TerminalStatus.Active);
      await registry.connect(registrar).suspend(id);
      await expect(registry.connect(registrar).suspend(id))
        .to.be.revertedWithCustomError(registry, "InvalidStatusTransition")
        .withArgs(id, TerminalStatus.Suspended, TerminalStatus.Suspended);
    });

    it("rejects an unknown terminal", async function () {
      const { registry, registrar } = await fixture();
      await expect(registry.connect(registrar).suspend(NEW_ID))
        .to.be.revertedWithCustomError(registry, "TerminalNotRegistered")
        .withArgs(NEW_ID);
    });

    it("is restricted to registrars", async function () {
      const { registry, stranger, terminals } = await fixture();
      const role = await registry.REGISTRAR_ROLE();
      await expectUnauthorized(registry, registry.connect(stranger).suspend(terminals[0].id), stranger.address, role);
      await expectUnauthorized(
        registry,
        registry.connect(stranger).reactivate(terminals[0].id),
        stranger.address,
        role,
      );
    });
  });

  describe("revoke", function () {
    it("revokes a terminal for good and emits TerminalRevoked", async function () {
      const { registry, admin, registrar, terminals } = await fixture();
      const id = terminals[0].id;
      await expect(registry.connect(admin).revoke(id)).to.emit(registry, "TerminalRevoked").withArgs(id);
      expect((await registry.getTerminal(id)).status).to.equal(TerminalStatus.Revoked);
      await expect(registry.connect(registrar).reactivate(id))
        .to.be.revertedWithCustomError(registry, "InvalidStatusTransition")
        .withArgs(id, TerminalStatus.Revoked, TerminalStatus.Active);
    });

    it("revokes a suspended terminal", async function () {
      const { registry, admin, registrar, terminals } = await fixture();
      await registry.connect(registrar).suspend(terminals[0].id);
      await expect(registry.connect(admin).revoke(terminals[0].id)).to.emit(registry, "TerminalRevoked");
    });

    it("rejects revoking twice and an unknown terminal", async function () {
      const { registry, admin, terminals } = await fixture();
      await registry.connect(admin).revoke(terminals[0].id);
      await expect(registry.connect(admin).revoke(terminals[0].id))
        .to.be.revertedWithCustomError(registry, "InvalidStatusTransition")
        .withArgs(terminals[0].id, TerminalStatus.Revoked, TerminalStatus.Revoked);
      await expect(registry.connect(admin).revoke(NEW_ID))
        .to.be.revertedWithCustomError(registry, "TerminalNotRegistered")
        .withArgs(NEW_ID);
    });

    it("is restricted to the admin, not registrars", async function () {
      const { registry, registrar, terminals } = await fixture();
      const unauthorizedRole = await registry.DEFAULT_ADMIN_ROLE();
      await expectUnauthorized(
        registry,
        registry.connect(registrar).revoke(terminals[0].id),
        registrar.address,
        unauthorizedRole,
      );
    });
  });

  describe("rotateSigner", function () {
    // From the admin a rotation is immediate; a registrar's waits for the rotation delay (TerminalRegistry.rotation).
    it("replaces the key, closes the old epoch and emits SignerRotated", async function () {
      const { registry, admin, terminals, signer } = await fixture();
      const { id, wallet } = terminals[0];
      const registeredAt = (await registry.getTerminal(id)).registeredAt;
      await time.increase(100);
      const tx = registry.connect(admin).rotateSigner(id, signer.address);
      await expect(tx)
        .to.emit(registry, "SignerRotated")
        .withArgs(id, wallet.address, signer.address, (await time.latest()) + 1);
      const rotatedAt = BigInt(await time.latest());
      expect(await registry.signerOf(id)).to.equal(signer.address);
      expect(await registry.terminalOfSigner(signer.address)).to.equal(id);
      expect(await registry.terminalOfSigner(wallet.address)).to.equal(id);
      const history = await registry.signerHistory(id);
      expect(history.map((e) => [e.signer, e.validFrom, e.validUntil])).to.deep.equal([
        [wallet.address, registeredAt, rotatedAt],
        [signer.address, rotatedAt, 0n],
      ]);
      expect(await registry.signerAt(id, registeredAt)).to.equal(wallet.address);
      expect(await registry.signerAt(id, rotatedAt - 1n)).to.equal(wallet.address);
      expect(await registry.signerAt(id, rotatedAt)).to.equal(signer.address);
      // The first key also covers the meter's history from before its registration (a backfill).
      expect(await registry.signerAt(id, registeredAt - 1n)).to.equal(wallet.address);
      expect(await registry.signerAt(id, 0n)).to.equal(wallet.address);
    });

    it("names no key for a terminal that was never registered", async function () {
      const { registry } = await fixture();
      expect(await registry.signerAt(NEW_ID, 0n)).to.equal(ethers.ZeroAddress);
    });

    it("rotates a suspended terminal's key", async function () {
      const { registry, admin, registrar, terminals, signer } = await fixture();
      await registry.connect(registrar).suspend(terminals[0].id);
      await expect(registry.connect(admin).rotateSigner(terminals[0].id, signer.address)).to.emit(
        registry,
        "SignerRotated",
      );
    });

    it("never lets a rotated-out key be bound again", async function () {
      const { registry, admin, registrar, terminals, signer } = await fixture();
      const { id, wallet } = terminals[0];
      await registry.connect(admin).rotateSigner(id, signer.address);
      await expect(registry.connect(registrar).register(NEW_ID, wallet.address, TerminalKind.PMU, location(1), ""))
        .to.be.revertedWithCustomError(registry, "SignerAlreadyBound")
        .withArgs(wallet.address, id);
    });

    it("rejects a revoked or unknown terminal, a zero key and a bound key", async function () {
      const { registry, admin, terminals, signer } = await fixture();
      await expect(registry.connect(admin).rotateSigner(NEW_ID, signer.address))
        .to.be.revertedWithCustomError(registry, "TerminalNotRegistered")
        .withArgs(NEW_ID);
      await expect(registry.connect(admin).rotateSigner(terminals[0].id, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "ZeroAddress")
        .withArgs("signer");
      await expect(registry.connect(admin).rotateSigner(terminals[0].id, terminals[1].wallet.address))
        .to.be.revertedWithCustomError(registry, "SignerAlreadyBound")
        .withArgs(terminals[1].wallet.address, terminals[1].id);
      await registry.connect(admin).revoke(terminals[0].id);
      await expect(registry.connect(admin).rotateSigner(terminals[0].id, signer.address))
        .to.be.revertedWithCustomError(registry, "InvalidStatusTransition")
        .withArgs(terminals[0].id, TerminalStatus.Revoked, TerminalStatus.Revoked);
    });

    it("is restricted to registrars", async function () {
      const { registry, stranger, terminals, signer } = await fixture();
      const unauthorizedRole = await registry.REGISTRAR_ROLE();
      await expectUnauthorized(
        registry,
        registry.connect(stranger).rotateSigner(terminals[0].id, signer.address),
        stranger.address,
        unauthorizedRole,
      );
    });
  });

  describe("views", function () {
    it("reports unknown terminals as inactive with no signer, and getTerminal reverts", async function () {
      const { registry } = await fixture();
      expect(await registry.isActive(NEW_ID)).to.equal(false);
      expect(await registry.signerOf(NEW_ID)).to.equal(ethers.ZeroAddress);
      const [signer, status] = await registry.signerAndStatus(NEW_ID);
      expect([signer, status]).to.deep.equal([ethers.ZeroAddress, BigInt(TerminalStatus.Unregistered)]);
      expect(await registry.signerHistory(NEW_ID)).to.deep.equal([]);
      await expect(registry.getTerminal(NEW_ID))
        .to.be.revertedWithCustomError(registry, "TerminalNotRegistered")
        .withArgs(NEW_ID);
    });

    it("supports the AccessControl interface", async function () {
      const { registry } = await fixture();
      expect(await registry.supportsInterface("0x7965db0b")).to.equal(true);
    });
  });
});
