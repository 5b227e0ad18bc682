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
import { DataType, TerminalKind } from "../../src/chain/types";
import { location, READING_POLICY } from "../helpers/fixtures";

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
});
