import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployGovernanceDefault } from "../helpers/governanceFixtures";
import { expectUnauthorized } from "../helpers/access";
import { DatasetKind } from "../../src/chain/types";
import { DEV_MNEMONIC } from "../../src/chain/keys";
import { bytesToHex, devAccountPublicKeys } from "../../src/sharing/keys";

describe("DataSharing", function () {
  const HASH = ethers.id("ciphertext");
  const OTHER_HASH = ethers.id("another ciphertext");
  const DAY = 86_400;

  async function fixture() {
    return loadFixture(deployGovernanceDefault);
  }

  /** A batch dataset of the first and third root of `provider` and a grant to `receiver` for a day. */
  async function withGrant() {
    const g = await fixture();
    await g.sharing.connect(g.provider).registerBatchDataset([g.roots[0], g.roots[2]], "ipfs://day");
    const expiresAt = (await time.latest()) + DAY;
    await g.sharing.connect(g.provider).grantAccess(1, g.receiver.address, expiresAt, HASH);
    return { ...g, expiresAt };
  }

  /** The 64-byte x || y public key of a Hardhat dev account. */
  function publicKeyOf(address: string): string {
    const key = devAccountPublicKeys(DEV_MNEMONIC, 20).get(address.toLowerCase())!;
    return bytesToHex(key.uncompressed.subarray(1));
  }

  describe("constructor", function () {
    it("wires the anchor contract and grants the admin its role only", async function () {
      const { sharing, acquisition, admin } = await fixture();
      expect(await sharing.acquisition()).to.equal(await acquisition.getAddress());
      expect(await sharing.hasRole(await sharing.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await sharing.hasRole(await sharing.PROVIDER_ROLE(), admin.address)).to.equal(false);
      expect(await sharing.datasetCount()).to.equal(0n);
      expect(await sharing.MAX_BATCHES_PER_DATASET()).to.equal(1024n);
      expect(await sharing.version()).to.equal("2.0.0");
    });

    it("rejects a zero acquisition or admin", async function () {
      const { acquisition, admin } = await fixture();
      const factory = await ethers.getContractFactory("DataSharing");
      await expect(factory.deploy(ethers.ZeroAddress, admin.address))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("acquisition");
      await expect(factory.deploy(await acquisition.getAddress(), ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("admin");
    });
  });

  describe("provider certification", function () {
    it("lets the admin certify and decertify providers through AccessControl", async function () {
      const { sharing, admin, stranger } = await fixture();
      const role = await sharing.PROVIDER_ROLE();
      await expect(sharing.connect(admin).grantRole(role, stranger.address))
        .to.emit(sharing, "RoleGranted")
        .withArgs(role, stranger.address, admin.address);
      await expect(sharing.connect(admin).revokeRole(role, stranger.address)).to.emit(sharing, "RoleRevoked");
      expect(await sharing.hasRole(role, stranger.address)).to.equal(false);
    });

    it("does not let a provider certify others", async function () {
      const { sharing, provider, stranger } = await fixture();
      const unauthorizedRole = await sharing.DEFAULT_ADMIN_ROLE();
      await expectUnauthorized(
        sharing,
        sharing.connect(provider).grantRole(await sharing.PROVIDER_ROLE(), stranger.address),
        provider.address,
        unauthorizedRole,
      );
    });
  });

  describe("registerBatchDataset", function () {
    context("when called by a provider", function () {
      it("stores the dataset, returns its id and emits BatchDatasetRegistered", async function () {
        const { sharing, provider, roots } = await fixture();
        const listed = [roots[0], roots[2]];
        expect(await sharing.connect(provider).registerBatchDataset.staticCall(listed, "ipfs://day")).to.equal(1n);
        await expect(sharing.connect(provider).registerBatchDataset(listed, "ipfs://day"))
          .to.emit(sharing, "BatchDatasetRegistered")
          .withArgs(1, provider.address, listed, "ipfs://day");
        const d = await sharing.getDataset(1);
        expect(d.provider).to.equal(provider.address);
        expect(d.kind).to.equal(DatasetKind.Batches);
        expect(d.registeredAt).to.equal(await time.latest());
        expect(d.merkleRoots).to.deep.equal(listed);
        expect(d.metadataURI).to.equal("ipfs://day");
        expect([d.terminalId, d.fromTime, d.toTime]).to.deep.equal([ethers.ZeroHash, 0n, 0n]);
        expect(await sharing.datasetCount()).to.equal(1n);
        expect(await sharing.connect(provider).registerBatchDataset.staticCall([roots[1]], "")).to.equal(2n);
      });

      it("rejects an empty list", async function () {
        const { sharing, provider } = await fixture();
        await expect(sharing.connect(provider).registerBatchDataset([], "")).to.be.revertedWithCustomError(
          sharing,
          "EmptyBatchList",
        );
      });

      it("rejects more than MAX_BATCHES_PER_DATASET batches", async function () {
        const { sharing, provider } = await fixture();
        const roots = Array.from({ length: 1025 }, (_, i) => ethers.toBeHex(i + 1, 32));
        await expect(sharing.connect(provider).registerBatchDataset(roots, ""))
          .to.be.revertedWithCustomError(sharing, "TooManyBatches")
          .withArgs(1025, 1024);
      });

      it("rejects roots that are not strictly increasing", async function () {
        const { sharing, provider, roots } = await fixture();
        await expect(sharing.connect(provider).registerBatchDataset([roots[0], roots[2], roots[1]], ""))
          .to.be.revertedWithCustomError(sharing, "RootsNotIncreasing")
          .withArgs(2, roots[2], roots[1]);
        await expect(sharing.connect(provider).registerBatchDataset([roots[1], roots[1]], ""))
          .to.be.revertedWithCustomError(sharing, "RootsNotIncreasing")
          .withArgs(1, roots[1], roots[1]);
      });

      it("rejects a root that was never anchored", async function () {
        const { sharing, provider, roots } = await fixture();
        const unknown = ethers.MaxUint256.toString(16).padStart(64, "f");
        await expect(sharing.connect(provider).registerBatchDataset([roots[0], `0x${unknown}`], ""))
          .to.be.revertedWithCustomError(sharing, "UnknownRoot")
          .withArgs(`0x${unknown}`);
        await expect(sharing.connect(provider).registerBatchDataset([ethers.ZeroHash], ""))
          .to.be.revertedWithCustomError(sharing, "UnknownRoot")
          .withArgs(ethers.ZeroHash);
      });
    });

    context("when called by anyone else", function () {
      it("reverts with AccessControlUnauthorizedAccount", async function () {
        const { sharing, stranger, roots } = await fixture();
        const unauthorizedRole = await sharing.PROVIDER_ROLE();
        await expectUnauthorized(
          sharing,
          sharing.connect(stranger).registerBatchDataset([roots[0]], ""),
          stranger.address,
          unauthorizedRole,
        );
      });
    });
  });

  describe("registerStreamDataset", function () {
    context("when called by a provider", function () {
      it("stores the dataset, returns its id and emits StreamDatasetRegistered", async function () {
        const { sharing, provider, terminals } = await fixture();
        const id = terminals[1].id;
        expect(await sharing.connect(provider).registerStreamDataset.staticCall(id, 100, 200, "ipfs://s")).to.equal(1n);
        await expect(sharing.connect(provider).registerStreamDataset(id, 100, 200, "ipfs://s"))
          .to.emit(sharing, "StreamDatasetRegistered")
          .withArgs(1, provider.address, id, 100, 200, "ipfs://s");
        const d = await sharing.getDataset(1);
        expect(d.kind).to.equal(DatasetKind.Stream);
        expect([d.terminalId, d.fromTime, d.toTime]).to.deep.equal([id, 100n, 200n]);
        expect(d.merkleRoots).to.deep.equal([]);
      });

      it("rejects an empty or reversed range", async function () {
        const { sharing, provider, terminals } = await fixture();
        for (const [from, to] of [
          [200, 200],
          [300, 200],
        ]) {
          await expect(sharing.connect(provider).registerStreamDataset(terminals[0].id, from, to, ""))
            .to.be.revertedWithCustomError(sharing, "InvalidTimeRange")
            .withArgs(from, to);
        }
      });

      it("rejects an unregistered terminal", async function () {
        const { sharing, provider } = await fixture();
        const id = ethers.id("nowhere");
        await expect(sharing.connect(provider).registerStreamDataset(id, 1, 2, ""))
          .to.be.revertedWithCustomError(sharing, "UnknownTerminal")
          .withArgs(id);
      });
    });

    context("when called by anyone else", function () {
      it("reverts with AccessControlUnauthorizedAccount", async function () {
        const { sharing, stranger, terminals } = await fixture();
        const unauthorizedRole = await sharing.PROVIDER_ROLE();
        await expectUnauthorized(
          sharing,
          sharing.connect(stranger).registerStreamDataset(terminals[0].id, 1, 2, ""),
          stranger.address,
          unauthorizedRole,
        );
      });
    });
  });

  describe("requestAccess", function () {
    it("logs the request with the caller's public key and purpose", async function () {
      const { sharing, receiver } = await withGrant();
      const key = publicKeyOf(receiver.address);
      await expect(sharing.connect(receiver).requestAccess(1, key, "load study"))
        .to.emit(sharing, "AccessRequested")
        .withArgs(1, receiver.address, key, "load study");
    });

    it("rejects an unknown dataset", async function () {
      const { sharing, receiver } = await fixture();
      await expect(sharing.connect(receiver).requestAccess(9, publicKeyOf(receiver.address), ""))
        .to.be.revertedWithCustomError(sharing, "UnknownDataset")
        .withArgs(9);
    });

    it("rejects a key that is not 64 bytes", async function () {
      const { sharing, receiver } = await withGrant();
      const compressed = bytesToHex(
        devAccountPublicKeys(DEV_MNEMONIC, 20).get(receiver.address.toLowerCase())!.compressed,
      );
      await expect(sharing.connect(receiver).requestAccess(1, compressed, ""))
        .to.be.revertedWithCustomError(sharing, "InvalidPublicKeyLength")
        .withArgs(33);
    });

    it("rejects a key that is not the caller's", async function () {
      const { sharing, receiver, stranger } = await withGrant();
      await expect(sharing.connect(stranger).requestAccess(1, publicKeyOf(receiver.address), ""))
        .to.be.revertedWithCustomError(sharing, "PublicKeyMismatch")
        .withArgs(stranger.address, receiver.address);
    });
  });

  describe("grantAccess", function () {
    context("when called by the dataset's provider", function () {
      it("stores the grant, authorises the receiver and emits AccessGranted", async function () {
        const { sharing, provider, receiver, roots } = await fixture();
        await sharing.connect(provider).registerBatchDataset([roots[0]], "");
        const expiresAt = (await time.latest()) + DAY;
        await expect(sharing.connect(provider).grantAccess(1, receiver.address, expiresAt, HASH))
          .to.emit(sharing, "AccessGranted")
          .withArgs(1, receiver.address, expiresAt, HASH);
        const grant = await sharing.grantOf(1, receiver.address);
        expect([grant.grantedAt, grant.expiresAt, grant.revokedAt, grant.ciphertextHash]).to.deep.equal([
          BigInt(await time.latest()),
          BigInt(expiresAt),
          0n,
          HASH,
        ]);
        expect(await sharing.isAuthorized(1, receiver.address)).to.equal(true);
      });

      it("renews a revoked grant with a new bundle", async function () {
        const { sharing, provider, receiver, expiresAt } = await withGrant();
        await sharing.connect(provider).revokeAccess(1, receiver.address);
        await expect(sharing.connect(provider).grantAccess(1, receiver.address, expiresAt, OTHER_HASH))
          .to.emit(sharing, "AccessGranted")
          .withArgs(1, receiver.address, expiresAt, OTHER_HASH);
        const grant = await sharing.grantOf(1, receiver.address);
        expect([grant.revokedAt, grant.ciphertextHash]).to.deep.equal([0n, OTHER_HASH]);
        expect(await sharing.isAuthorized(1, receiver.address)).to.equal(true);
      });

      it("rejects a zero receiver and a zero ciphertext hash", async function () {
        const { sharing, provider, receiver, expiresAt } = await withGrant();
        await expect(sharing.connect(provider).grantAccess(1, ethers.ZeroAddress, expiresAt, HASH))
          .to.be.revertedWithCustomError(sharing, "ZeroAddress")
          .withArgs("receiver");
        await expect(
          sharing.connect(provider).grantAccess(1, receiver.address, expiresAt, ethers.ZeroHash),
        ).to.be.revertedWithCustomError(sharing, "ZeroCiphertextHash");
      });

      it("rejects an expiry that is not after the block", async function () {
        const { sharing, provider, receiver } = await withGrant();
        const now = (await time.latest()) + 10;
        await time.setNextBlockTimestamp(now);
        await expect(sharing.connect(provider).grantAccess(1, receiver.address, now, HASH))
          .to.be.revertedWithCustomError(sharing, "ExpiryNotInFuture")
          .withArgs(now, now);
      });

      it("rejects an unknown dataset", async function () {
        const { sharing, provider, receiver } = await fixture();
        await expect(sharing.connect(provider).grantAccess(5, receiver.address, 2 ** 40 - 1, HASH))
          .to.be.revertedWithCustomError(sharing, "UnknownDataset")
          .withArgs(5);
      });

      it("refuses a provider that has been decertified", async function () {
        const { sharing, admin, provider, receiver, expiresAt } = await withGrant();
        const role = await sharing.PROVIDER_ROLE();
        await sharing.connect(admin).revokeRole(role, provider.address);
        await expectUnauthorized(
          sharing,
          sharing.connect(provider).grantAccess(1, receiver.address, expiresAt, HASH),
          provider.address,
          role,
        );
      });
    });

    context("when called by anyone but the dataset's provider", function () {
      it("reverts with NotDatasetProvider, for another provider and for the admin alike", async function () {
        const { sharing, provider, otherProvider, admin, receiver, expiresAt } = await withGrant();
        for (const caller of [otherProvider, admin, receiver]) {
          await expect(sharing.connect(caller).grantAccess(1, receiver.address, expiresAt, HASH))
            .to.be.revertedWithCustomError(sharing, "NotDatasetProvider")
            .withArgs(1, caller.address, provider.address);
        }
      });
    });
  });

  describe("revokeAccess", function () {
    context("when called by the dataset's provider", function () {
      it("revokes the grant and emits AccessRevoked", async function () {
        const { sharing, provider, receiver } = await withGrant();
        await expect(sharing.connect(provider).revokeAccess(1, receiver.address))
          .to.emit(sharing, "AccessRevoked")
          .withArgs(1, receiver.address);
        expect((await sharing.grantOf(1, receiver.address)).revokedAt).to.equal(await time.latest());
        expect(await sharing.isAuthorized(1, receiver.address)).to.equal(false);
      });

      it("lets a decertified provider still revoke", async function () {
        const { sharing, admin, provider, receiver } = await withGrant();
        await sharing.connect(admin).revokeRole(await sharing.PROVIDER_ROLE(), provider.address);
        await expect(sharing.connect(provider).revokeAccess(1, receiver.address)).to.emit(sharing, "AccessRevoked");
      });

      it("rejects a receiver never granted, and revoking twice", async function () {
        const { sharing, provider, receiver, stranger } = await withGrant();
        await expect(sharing.connect(provider).revokeAccess(1, stranger.address))
          .to.be.revertedWithCustomError(sharing, "NoGrantToRevoke")
          .withArgs(1, stranger.address);
        await sharing.connect(provider).revokeAccess(1, receiver.address);
        await expect(sharing.connect(provider).revokeAccess(1, receiver.address))
          .to.be.revertedWithCustomError(sharing, "NoGrantToRevoke")
          .withArgs(1, receiver.address);
      });
    });

    context("when called by anyone but the dataset's provider", function () {
      it("reverts with NotDatasetProvider", async function () {
        const { sharing, provider, admin, receiver } = await withGrant();
        await expect(sharing.connect(admin).revokeAccess(1, receiver.address))
          .to.be.revertedWithCustomError(sharing, "NotDatasetProvider")
          .withArgs(1, admin.address, provider.address);
      });
    });
  });

  describe("recordDelivery", function () {
    context("when called by the dataset's provider", function () {
      it("logs the delivery with DataDelivered", async function () {
        const { sharing, provider, receiver } = await withGrant();
        await expect(sharing.connect(provider).recordDelivery(1, receiver.address, HASH))
          .to.emit(sharing, "DataDelivered")
          .withArgs(1, receiver.address, HASH);
      });

      it("rejects another bundle's hash", async function () {
        const { sharing, provider, receiver } = await withGrant();
        await expect(sharing.connect(provider).recordDelivery(1, receiver.address, OTHER_HASH))
          .to.be.revertedWithCustomError(sharing, "CiphertextHashMismatch")
          .withArgs(HASH, OTHER_HASH);
      });

      it("rejects a receiver whose grant expired", async function () {
        const { sharing, provider, receiver, expiresAt } = await withGrant();
        await time.increaseTo(expiresAt);
        expect(await sharing.isAuthorized(1, receiver.address)).to.equal(false);
        await expect(sharing.connect(provider).recordDelivery(1, receiver.address, HASH))
          .to.be.revertedWithCustomError(sharing, "NotAuthorized")
          .withArgs(1, receiver.address);
      });
    });

    context("when called by anyone but the dataset's provider", function () {
      it("reverts with NotDatasetProvider", async function () {
        const { sharing, provider, receiver } = await withGrant();
        await expect(sharing.connect(receiver).recordDelivery(1, receiver.address, HASH))
          .to.be.revertedWithCustomError(sharing, "NotDatasetProvider")
          .withArgs(1, receiver.address, provider.address);
      });
    });
  });

  describe("acknowledgeReceipt", function () {
    it("logs the receiver's acknowledgement with ReceiptAcknowledged", async function () {
      const { sharing, receiver } = await withGrant();
      await expect(sharing.connect(receiver).acknowledgeReceipt(1, HASH))
        .to.emit(sharing, "ReceiptAcknowledged")
        .withArgs(1, receiver.address, HASH);
    });

    it("rejects an unknown dataset", async function () {
      const { sharing, receiver } = await withGrant();
      await expect(sharing.connect(receiver).acknowledgeReceipt(2, HASH))
        .to.be.revertedWithCustomError(sharing, "UnknownDataset")
        .withArgs(2);
    });

    it("rejects a caller without a current grant, and a revoked one", async function () {
      const { sharing, provider, receiver, stranger } = await withGrant();
      await expect(sharing.connect(stranger).acknowledgeReceipt(1, HASH))
        .to.be.revertedWithCustomError(sharing, "NotAuthorized")
        .withArgs(1, stranger.address);
      await sharing.connect(provider).revokeAccess(1, receiver.address);
      await expect(sharing.connect(receiver).acknowledgeReceipt(1, HASH))
        .to.be.revertedWithCustomError(sharing, "NotAuthorized")
        .withArgs(1, receiver.address);
    });

    it("rejects another bundle's hash", async function () {
      const { sharing, receiver } = await withGrant();
      await expect(sharing.connect(receiver).acknowledgeReceipt(1, OTHER_HASH))
        .to.be.revertedWithCustomError(sharing, "CiphertextHashMismatch")
        .withArgs(HASH, OTHER_HASH);
    });
  });

  describe("views", function () {
    it("isAuthorized is false for a receiver never granted and after expiry", async function () {
      const { sharing, receiver, stranger, expiresAt } = await withGrant();
      expect(await sharing.isAuthorized(1, stranger.address)).to.equal(false);
      expect(await sharing.isAuthorized(2, receiver.address)).to.equal(false);
      await time.increaseTo(expiresAt - 1);
      expect(await sharing.isAuthorized(1, receiver.address)).to.equal(true);
      await time.increaseTo(expiresAt);
      expect(await sharing.isAuthorized(1, receiver.address)).to.equal(false);
    });

    it("grantOf is all zero for a receiver never granted", async function () {
      const { sharing, stranger } = await withGrant();
      const g = await sharing.grantOf(1, stranger.address);
      expect([g.grantedAt, g.expiresAt, g.revokedAt, g.ciphertextHash]).to.deep.equal([0n, 0n, 0n, ethers.ZeroHash]);
    });

    it("getDataset rejects an unknown id", async function () {
      const { sharing } = await fixture();
      await expect(sharing.getDataset(1)).to.be.revertedWithCustomError(sharing, "UnknownDataset").withArgs(1);
    });

    it("datasetIncludesBatch finds listed roots only, and none in a stream dataset", async function () {
      const { sharing, provider, terminals, roots } = await withGrant();
      const probes = [ethers.ZeroHash, ...roots, ethers.id("never anchored"), `0x${"f".repeat(64)}`];
      const found = [];
      for (const r of probes) found.push(await sharing.datasetIncludesBatch(1, r));
      const listed = new Set([roots[0], roots[2]]);
      expect(found).to.deep.equal(probes.map((r) => listed.has(r)));
      await sharing.connect(provider).registerBatchDataset(roots, "");
      for (const r of roots) expect(await sharing.datasetIncludesBatch(2, r)).to.equal(true);
      await sharing.connect(provider).registerStreamDataset(terminals[0].id, 1, 2, "");
      expect(await sharing.datasetIncludesBatch(3, roots[0])).to.equal(false);
      expect(await sharing.datasetIncludesBatch(99, roots[0])).to.equal(false);
    });
  });
});
