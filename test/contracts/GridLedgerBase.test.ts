import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type {
  PinnedDataAcquisition,
  PinnedDataNameRegistry,
  PinnedDataSharing,
  PinnedTerminalRegistry,
} from "../../typechain-types";
import { acquisitionDomain, signHeader } from "../../src/chain/eip712";
import { CONTRACT_VERSION } from "../../src/chain/contracts";
import { DataType, ProviderScope, TerminalKind } from "../../src/chain/types";
import { location, READING_POLICY } from "../helpers/fixtures";
import { deployGovernanceDefault } from "../helpers/governanceFixtures";

/** The four deployables on pinned clocks (contracts/test/pinned), wired like a deployment. */
async function deployPinned() {
  const [admin, provider, receiver] = await ethers.getSigners();
  const deploy = async <T>(name: string, ...args: unknown[]) =>
    (await (await ethers.getContractFactory(name)).deploy(...args)) as unknown as T;
  const registry = await deploy<PinnedTerminalRegistry>("PinnedTerminalRegistry", admin.address);
  const acquisition = await deploy<PinnedDataAcquisition>(
    "PinnedDataAcquisition",
    await registry.getAddress(),
    admin.address,
  );
  const sharing = await deploy<PinnedDataSharing>("PinnedDataSharing", await acquisition.getAddress(), admin.address);
  const names = await deploy<PinnedDataNameRegistry>(
    "PinnedDataNameRegistry",
    await acquisition.getAddress(),
    await sharing.getAddress(),
    admin.address,
  );
  await acquisition.setPolicy(DataType.Reading, READING_POLICY);
  await sharing.grantRole(await sharing.PROVIDER_ROLE(), provider.address);
  return { registry, acquisition, sharing, names, admin, provider, receiver };
}

/** The four real deployables, the admin, and two other accounts. */
async function deployAll() {
  const g = await loadFixture(deployGovernanceDefault);
  return {
    contracts: {
      TerminalRegistry: g.registry,
      DataAcquisition: g.acquisition,
      DataSharing: g.sharing,
      DataNameRegistry: g.names,
    },
    admin: g.admin,
    successor: g.receiver,
    stranger: g.stranger,
    acquisition: g.acquisition,
  };
}

describe("GridLedgerBase", function () {
  // Far from the block clock on purpose: any value read from block.timestamp instead of _now() shows up.
  const PINNED = 2_000_000_000;

  describe("version", function () {
    it("reports the release the tools expect, the same on all four contracts", async function () {
      const { registry, acquisition, sharing, names } = await loadFixture(deployPinned);
      for (const contract of [registry, acquisition, sharing, names]) {
        expect(await contract.version()).to.equal(CONTRACT_VERSION);
      }
    });
  });

  describe("_now", function () {
    context("when a harness pins the clock", function () {
      it("stamps a terminal's registration and rotation with the pinned time", async function () {
        const { registry } = await loadFixture(deployPinned);
        await registry.setNow(PINNED);
        const id = ethers.id("clock.bus1.pmu");
        await registry.register(id, ethers.Wallet.createRandom().address, TerminalKind.PMU, location(1), "");
        const terminal = await registry.getTerminal(id);
        expect([terminal.registeredAt, terminal.statusChangedAt]).to.deep.equal([BigInt(PINNED), BigInt(PINNED)]);
        expect((await registry.signerHistory(id))[0].validFrom).to.equal(PINNED);
      });

      it("checks windows against, and stamps anchored batches with, the pinned time", async function () {
        const { registry, acquisition } = await loadFixture(deployPinned);
        const wallet = ethers.Wallet.createRandom();
        const id = ethers.id("clock.bus2.pmu");
        await registry.register(id, wallet.address, TerminalKind.PMU, location(2), "");
        await acquisition.setNow(PINNED);
        // A window that closed 60 s before the pinned time: stale by the block clock, fresh by the pinned one.
        const windowEnd = BigInt(PINNED - 60 - ((PINNED - 60) % READING_POLICY.timeScale));
        const header = {
          dataType: DataType.Reading,
          terminalId: id,
          sequence: 1n,
          windowStart: windowEnd - BigInt(READING_POLICY.timeScale),
          windowEnd,
          recordCount: 1,
          merkleRoot: ethers.id("clock root"),
          prevHeaderHash: ethers.ZeroHash,
        };
        const { chainId } = await ethers.provider.getNetwork();
        const domain = acquisitionDomain(chainId, await acquisition.getAddress());
        await acquisition.anchorBatch(header, signHeader(wallet.privateKey, domain, header));
        expect((await acquisition.batchByRoot(header.merkleRoot)).anchoredAt).to.equal(PINNED);
      });

      it("stamps datasets and grants, and judges expiry, with the pinned time", async function () {
        const { registry, sharing, provider, receiver } = await loadFixture(deployPinned);
        const id = ethers.id("clock.bus3.pmu");
        await registry.register(id, ethers.Wallet.createRandom().address, TerminalKind.PMU, location(3), "");
        await sharing.setNow(PINNED);
        await sharing.setProviderAuthorisation(provider.address, ProviderScope.Terminal, id, true);
        await sharing.connect(provider).registerStreamDataset(id, 0, 1, "");
        expect((await sharing.getDataset(1)).registeredAt).to.equal(PINNED);
        await sharing.connect(provider).grantAccess(1, receiver.address, PINNED + 10, ethers.id("bundle"));
        expect((await sharing.grantOf(1, receiver.address)).grantedAt).to.equal(PINNED);
        expect(await sharing.isAuthorized(1, receiver.address)).to.equal(true);
        await sharing.setNow(PINNED + 10);
        expect(await sharing.isAuthorized(1, receiver.address)).to.equal(false);
        await sharing.connect(provider).revokeAccess(1, receiver.address);
        expect((await sharing.grantOf(1, receiver.address)).revokedAt).to.equal(PINNED + 10);
      });

      it("stamps a name's registration with the pinned time", async function () {
        const { names, admin } = await loadFixture(deployPinned);
        await names.setNow(PINNED);
        await names.registerTopLevel("gz", admin.address);
        expect((await names.getName(ethers.namehash("gz"))).registeredAt).to.equal(PINNED);
      });
    });

    context("when the clock is not pinned", function () {
      it("follows the block", async function () {
        const { names, admin } = await loadFixture(deployPinned);
        await names.registerTopLevel("gz", admin.address);
        expect((await names.getName(ethers.namehash("gz"))).registeredAt).to.equal(await time.latest());
      });
    });
  });

  describe("admin handover (AccessControlDefaultAdminRules)", function () {
    for (const name of ["TerminalRegistry", "DataAcquisition", "DataSharing", "DataNameRegistry"] as const) {
      context(`on ${name}`, function () {
        it("has one admin and a three-day handover delay", async function () {
          const { contracts, admin } = await deployAll();
          const contract = contracts[name];
          expect(await contract.defaultAdmin()).to.equal(admin.address);
          expect(await contract.defaultAdminDelay()).to.equal(3 * 24 * 3600);
          expect(await contract.INITIAL_ADMIN_DELAY()).to.equal(3 * 24 * 3600);
        });

        it("refuses a one-step grant of the admin role", async function () {
          const { contracts, successor } = await deployAll();
          const contract = contracts[name];
          await expect(
            contract.grantRole(await contract.DEFAULT_ADMIN_ROLE(), successor.address),
          ).to.be.revertedWithCustomError(contract, "AccessControlEnforcedDefaultAdminRules");
        });

        it("hands over only when the new admin accepts after the delay", async function () {
          const { contracts, admin, successor } = await deployAll();
          const contract = contracts[name];
          const role = await contract.DEFAULT_ADMIN_ROLE();
          await expect(contract.beginDefaultAdminTransfer(successor.address)).to.emit(
            contract,
            "DefaultAdminTransferScheduled",
          );
          const [, schedule] = await contract.pendingDefaultAdmin();
          await expect(contract.connect(successor).acceptDefaultAdminTransfer())
            .to.be.revertedWithCustomError(contract, "AccessControlEnforcedDefaultAdminDelay")
            .withArgs(schedule);
          await time.increaseTo(schedule + 1n);
          await expect(contract.connect(successor).acceptDefaultAdminTransfer())
            .to.emit(contract, "RoleGranted")
            .withArgs(role, successor.address, successor.address);
          expect(await contract.defaultAdmin()).to.equal(successor.address);
          expect(await contract.hasRole(role, admin.address)).to.equal(false);
        });

        it("lets only the admin schedule a handover", async function () {
          const { contracts, stranger } = await deployAll();
          const contract = contracts[name];
          await expect(contract.connect(stranger).beginDefaultAdminTransfer(stranger.address))
            .to.be.revertedWithCustomError(contract, "AccessControlUnauthorizedAccount")
            .withArgs(stranger.address, await contract.DEFAULT_ADMIN_ROLE());
        });
      });
    }

    context("when anchoring is paused", function () {
      /** The admin schedules renouncing (a handover to nobody) and waits out the delay. */
      async function renounceScheduled() {
        const all = await deployAll();
        await all.acquisition.beginDefaultAdminTransfer(ethers.ZeroAddress);
        const [, schedule] = await all.acquisition.pendingDefaultAdmin();
        await time.increaseTo(schedule + 1n);
        return all;
      }

      it("refuses to let the admin renounce, which would leave nobody to unpause", async function () {
        const { acquisition, admin } = await renounceScheduled();
        await acquisition.pause();
        const role = await acquisition.DEFAULT_ADMIN_ROLE();
        await expect(acquisition.renounceRole(role, admin.address)).to.be.revertedWithCustomError(
          acquisition,
          "AdminRenounceWhilePaused",
        );
        expect(await acquisition.defaultAdmin()).to.equal(admin.address);
        await expect(acquisition.unpause()).to.emit(acquisition, "Unpaused").withArgs(admin.address);
      });

      it("lets the admin renounce once anchoring runs again", async function () {
        const { acquisition, admin } = await renounceScheduled();
        const role = await acquisition.DEFAULT_ADMIN_ROLE();
        await expect(acquisition.renounceRole(role, admin.address))
          .to.emit(acquisition, "RoleRevoked")
          .withArgs(role, admin.address, admin.address);
        expect(await acquisition.defaultAdmin()).to.equal(ethers.ZeroAddress);
      });

      it("still lets the admin renounce other roles", async function () {
        const { acquisition, admin } = await deployAll();
        await acquisition.pause();
        const role = await acquisition.POLICY_ADMIN_ROLE();
        await expect(acquisition.renounceRole(role, admin.address))
          .to.emit(acquisition, "RoleRevoked")
          .withArgs(role, admin.address, admin.address);
      });
    });
  });
});
