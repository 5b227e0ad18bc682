import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployGovernanceDefault } from "../helpers/governanceFixtures";
import { expectUnauthorized } from "../helpers/access";
import { shouldBehaveLikeNameOwnerOnly } from "../helpers/behaviours";
import { INVALID_NAME_VECTORS, VALID_NAME_VECTORS } from "../helpers/nameVectors";
import { namehash } from "../../src/naming/namehash";
import { TargetKind } from "../../src/chain/types";

describe("DataNameRegistry", function () {
  const GZ = namehash("gz");
  const IEEE39 = namehash("gz.ieee39");

  /** Governance contracts with "gz" owned by `provider` and "gz.ieee39" owned by `receiver`. */
  async function fixture() {
    const g = await loadFixture(deployGovernanceDefault);
    return g;
  }

  async function withNames() {
    const g = await fixture();
    await g.names.connect(g.rootRegistrar).registerTopLevel("gz", g.provider.address);
    await g.names.connect(g.provider).registerSubname(GZ, "ieee39", g.receiver.address);
    return g;
  }

  const uint = (n: number | bigint) => ethers.zeroPadValue(ethers.toBeHex(n), 32);

  describe("constructor", function () {
    it("wires the target contracts and grants the admin both roles", async function () {
      const { names, sharing, acquisition, registry, admin } = await fixture();
      expect(await names.hasRole(await names.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await names.hasRole(await names.ROOT_REGISTRAR_ROLE(), admin.address)).to.equal(true);
      const [a, r, s] = await names.targets();
      expect([a, r, s]).to.deep.equal([
        await acquisition.getAddress(),
        await registry.getAddress(),
        await sharing.getAddress(),
      ]);
      expect(await names.version()).to.equal("2.0.0");
    });

    it("rejects a zero acquisition, sharing or admin address", async function () {
      const { acquisition, sharing, admin } = await fixture();
      const factory = await ethers.getContractFactory("DataNameRegistry");
      const a = await acquisition.getAddress();
      const s = await sharing.getAddress();
      await expect(factory.deploy(ethers.ZeroAddress, s, admin.address))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("acquisition");
      await expect(factory.deploy(a, ethers.ZeroAddress, admin.address))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("sharing");
      await expect(factory.deploy(a, s, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("admin");
    });
  });

  describe("namehash and checkLabel (golden vectors)", function () {
    it("computes every golden vector byte for byte", async function () {
      const { names } = await fixture();
      for (const v of VALID_NAME_VECTORS) {
        expect(await names.namehash(v.name), v.name).to.equal(v.node);
      }
    });

    it("raises the vector's custom error for every malformed name", async function () {
      const { names } = await fixture();
      for (const v of INVALID_NAME_VECTORS) {
        await expect(names.namehash(v.name), v.name)
          .to.be.revertedWithCustomError(names, v.error)
          .withArgs(...v.args);
      }
    });

    it("accepts valid labels and rejects each kind of bad label", async function () {
      const { names } = await fixture();
      await names.checkLabel("bus13-pmu");
      await expect(names.checkLabel("")).to.be.revertedWithCustomError(names, "EmptyLabel");
      await expect(names.checkLabel("a.b"))
        .to.be.revertedWithCustomError(names, "InvalidLabelCharacter")
        .withArgs("a.b", 1, "0x2e");
      await expect(names.checkLabel("bUs"))
        .to.be.revertedWithCustomError(names, "LabelNotLowercase")
        .withArgs("bUs", 1);
    });
  });

  describe("registerTopLevel", function () {
    context("when called by a root registrar", function () {
      it("creates the name, returns its namehash and emits NameRegistered", async function () {
        const { names, rootRegistrar, provider } = await fixture();
        expect(await names.connect(rootRegistrar).registerTopLevel.staticCall("gz", provider.address)).to.equal(GZ);
        await expect(names.connect(rootRegistrar).registerTopLevel("gz", provider.address))
          .to.emit(names, "NameRegistered")
          .withArgs(GZ, ethers.ZeroHash, "gz", provider.address);
        const record = await names.getName(GZ);
        expect(record.owner).to.equal(provider.address);
        expect(record.kind).to.equal(TargetKind.None);
        expect(record.nameLength).to.equal(2n);
        expect(record.registeredAt).to.equal(await time.latest());
        expect(record.target).to.equal(ethers.ZeroHash);
        expect(await names.ownerOf(GZ)).to.equal(provider.address);
        const target = await names.resolve(GZ);
        expect([target.kind, target.value, target.uri]).to.deep.equal([0n, ethers.ZeroHash, ""]);
      });

      it("rejects a name that exists", async function () {
        const { names, rootRegistrar, stranger } = await withNames();
        await expect(names.connect(rootRegistrar).registerTopLevel("gz", stranger.address))
          .to.be.revertedWithCustomError(names, "NameAlreadyRegistered")
          .withArgs(GZ);
      });

      it("rejects a zero owner", async function () {
        const { names, rootRegistrar } = await fixture();
        await expect(names.connect(rootRegistrar).registerTopLevel("gz", ethers.ZeroAddress))
          .to.be.revertedWithCustomError(names, "ZeroAddress")
          .withArgs("owner");
      });

      it("rejects a malformed label", async function () {
        const { names, rootRegistrar, provider } = await fixture();
        await expect(names.connect(rootRegistrar).registerTopLevel("GZ", provider.address))
          .to.be.revertedWithCustomError(names, "LabelNotLowercase")
          .withArgs("GZ", 0);
        await expect(names.connect(rootRegistrar).registerTopLevel("g.z", provider.address))
          .to.be.revertedWithCustomError(names, "InvalidLabelCharacter")
          .withArgs("g.z", 1, "0x2e");
        await expect(names.connect(rootRegistrar).registerTopLevel("", provider.address)).to.be.revertedWithCustomError(
          names,
          "EmptyLabel",
        );
      });
    });

    context("when called by anyone else", function () {
      it("reverts with AccessControlUnauthorizedAccount", async function () {
        const { names, stranger } = await fixture();
        const unauthorizedRole = await names.ROOT_REGISTRAR_ROLE();
        await expectUnauthorized(
          names,
          names.connect(stranger).registerTopLevel("gz", stranger.address),
          stranger.address,
          unauthorizedRole,
        );
      });
    });
  });

  describe("registerSubname", function () {
    context("when called by the parent's owner", function () {
      it("creates the sub-name, returns its namehash and emits NameRegistered", async function () {
        const { names, rootRegistrar, provider, receiver } = await fixture();
        await names.connect(rootRegistrar).registerTopLevel("gz", provider.address);
        expect(await names.connect(provider).registerSubname.staticCall(GZ, "ieee39", receiver.address)).to.equal(
          IEEE39,
        );
        await expect(names.connect(provider).registerSubname(GZ, "ieee39", receiver.address))
          .to.emit(names, "NameRegistered")
          .withArgs(IEEE39, GZ, "ieee39", receiver.address);
        const record = await names.getName(IEEE39);
        expect(record.owner).to.equal(receiver.address);
        expect(record.nameLength).to.equal(BigInt("gz.ieee39".length));
      });

      it("creates a full path in one transaction through multicall, matching the golden vector", async function () {
        const { names, rootRegistrar } = await fixture();
        const owner = rootRegistrar.address;
        const calls = [
          names.interface.encodeFunctionData("registerTopLevel", ["gz", owner]),
          names.interface.encodeFunctionData("registerSubname", [GZ, "ieee39", owner]),
          names.interface.encodeFunctionData("registerSubname", [IEEE39, "bus13", owner]),
          names.interface.encodeFunctionData("registerSubname", [namehash("gz.ieee39.bus13"), "pmu", owner]),
        ];
        const vector = VALID_NAME_VECTORS.find((v) => v.name === "gz.ieee39.bus13.pmu")!;
        await expect(names.connect(rootRegistrar).multicall(calls))
          .to.emit(names, "NameRegistered")
          .withArgs(vector.node, namehash("gz.ieee39.bus13"), "pmu", owner);
        expect(await names.ownerOf(vector.node)).to.equal(owner);
        expect((await names.getName(vector.node)).nameLength).to.equal(BigInt(vector.name.length));
      });

      it("rejects a name that exists", async function () {
        const { names, provider, stranger } = await withNames();
        await expect(names.connect(provider).registerSubname(GZ, "ieee39", stranger.address))
          .to.be.revertedWithCustomError(names, "NameAlreadyRegistered")
          .withArgs(IEEE39);
      });

      it("rejects a malformed label and a zero owner", async function () {
        const { names, provider } = await withNames();
        await expect(names.connect(provider).registerSubname(GZ, "-x", provider.address))
          .to.be.revertedWithCustomError(names, "LabelHyphenAtEdge")
          .withArgs("-x");
        await expect(names.connect(provider).registerSubname(GZ, "a".repeat(64), provider.address))
          .to.be.revertedWithCustomError(names, "LabelTooLong")
          .withArgs("a".repeat(64), 64);
        await expect(names.connect(provider).registerSubname(GZ, "x", ethers.ZeroAddress))
          .to.be.revertedWithCustomError(names, "ZeroAddress")
          .withArgs("owner");
      });

      it("rejects a sub-name that would make the full name longer than 253 bytes", async function () {
        const { names, rootRegistrar } = await fixture();
        const me = rootRegistrar.address;
        const long = "a".repeat(63);
        await names.connect(rootRegistrar).registerTopLevel(long, me);
        await names.connect(rootRegistrar).registerSubname(namehash(long), long, me);
        const parent = namehash(`${long}.${long}.${long}`);
        await names.connect(rootRegistrar).registerSubname(namehash(`${long}.${long}`), long, me);
        expect((await names.getName(parent)).nameLength).to.equal(191n);
        await names.connect(rootRegistrar).registerSubname.staticCall(parent, "a".repeat(61), me);
        await expect(names.connect(rootRegistrar).registerSubname(parent, "a".repeat(62), me))
          .to.be.revertedWithCustomError(names, "NameTooLong")
          .withArgs(254, 253);
      });
    });

    context("when the parent is not registered", function () {
      it("reverts with NameNotRegistered", async function () {
        const { names, provider } = await fixture();
        await expect(names.connect(provider).registerSubname(GZ, "ieee39", provider.address))
          .to.be.revertedWithCustomError(names, "NameNotRegistered")
          .withArgs(GZ);
      });
    });

    context("when called by anyone but the parent's owner", function () {
      it("reverts with NotNameOwner, even for the root registrar", async function () {
        const { names, rootRegistrar, provider } = await withNames();
        await expect(names.connect(rootRegistrar).registerSubname(GZ, "x", rootRegistrar.address))
          .to.be.revertedWithCustomError(names, "NotNameOwner")
          .withArgs(GZ, rootRegistrar.address, provider.address);
      });
    });
  });

  describe("transfer", function () {
    it("hands the name over and emits NameTransferred", async function () {
      const { names, provider, stranger } = await withNames();
      await expect(names.connect(provider).transfer(GZ, stranger.address))
        .to.emit(names, "NameTransferred")
        .withArgs(GZ, provider.address, stranger.address);
      expect(await names.ownerOf(GZ)).to.equal(stranger.address);
      await expect(names.connect(stranger).registerSubname(GZ, "ieee14", stranger.address)).to.emit(
        names,
        "NameRegistered",
      );
      // The sub-name given away earlier stays its owner's.
      expect(await names.ownerOf(IEEE39)).to.not.equal(stranger.address);
    });

    it("rejects a zero new owner", async function () {
      const { names, provider } = await withNames();
      await expect(names.connect(provider).transfer(GZ, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(names, "ZeroAddress")
        .withArgs("newOwner");
    });

    it("rejects an unknown name", async function () {
      const { names, provider } = await fixture();
      await expect(names.connect(provider).transfer(GZ, provider.address))
        .to.be.revertedWithCustomError(names, "NameNotRegistered")
        .withArgs(GZ);
    });

    it("is restricted to the name's owner, even for its parent's owner", async function () {
      const { names, provider, receiver } = await withNames();
      await expect(names.connect(provider).transfer(IEEE39, provider.address))
        .to.be.revertedWithCustomError(names, "NotNameOwner")
        .withArgs(IEEE39, provider.address, receiver.address);
    });
  });

  describe("setTerminalTarget", function () {
    it("points the name at a registered terminal and emits TargetSet", async function () {
      const { names, receiver, terminals } = await withNames();
      const id = terminals[1].id;
      await expect(names.connect(receiver).setTerminalTarget(IEEE39, id))
        .to.emit(names, "TargetSet")
        .withArgs(IEEE39, TargetKind.Terminal, id, "");
      const target = await names.resolveName("gz.ieee39");
      expect([target.kind, target.value, target.uri]).to.deep.equal([BigInt(TargetKind.Terminal), id, ""]);
      expect((await names.getName(IEEE39)).target).to.equal(id);
    });

    it("rejects an unregistered terminal", async function () {
      const { names, receiver } = await withNames();
      const id = ethers.id("nowhere");
      await expect(names.connect(receiver).setTerminalTarget(IEEE39, id))
        .to.be.revertedWithCustomError(names, "UnknownTerminal")
        .withArgs(id);
    });

    shouldBehaveLikeNameOwnerOnly(withNames, IEEE39, (names, { terminals }) =>
      names.setTerminalTarget(IEEE39, terminals[0].id),
    );
  });

  describe("setBatchTarget", function () {
    it("points the name at an anchored batch's root and emits TargetSet", async function () {
      const { names, receiver, batches } = await withNames();
      const root = batches[2].merkleRoot;
      await expect(names.connect(receiver).setBatchTarget(IEEE39, root))
        .to.emit(names, "TargetSet")
        .withArgs(IEEE39, TargetKind.Batch, root, "");
      const target = await names.resolve(IEEE39);
      // The root, not the batch id: a reorg that reorders anchors cannot repoint the name.
      expect([target.kind, target.value]).to.deep.equal([BigInt(TargetKind.Batch), root]);
    });

    it("rejects a zero root and a root not yet anchored", async function () {
      const { names, receiver } = await withNames();
      for (const root of [ethers.ZeroHash, ethers.id("not anchored"), uint(1)]) {
        await expect(names.connect(receiver).setBatchTarget(IEEE39, root))
          .to.be.revertedWithCustomError(names, "UnknownRoot")
          .withArgs(root);
      }
    });

    shouldBehaveLikeNameOwnerOnly(withNames, IEEE39, (names, { batches }) =>
      names.setBatchTarget(IEEE39, batches[0].merkleRoot),
    );
  });

  describe("setDatasetTarget", function () {
    it("points the name at a registered dataset and emits TargetSet", async function () {
      const { names, sharing, provider, receiver, roots } = await withNames();
      await sharing.connect(provider).registerBatchDataset(roots.slice(0, 2), "ipfs://d");
      await expect(names.connect(receiver).setDatasetTarget(IEEE39, 1))
        .to.emit(names, "TargetSet")
        .withArgs(IEEE39, TargetKind.Dataset, uint(1), "");
      expect((await names.resolve(IEEE39)).value).to.equal(uint(1));
    });

    it("rejects dataset 0 and a dataset not registered", async function () {
      const { names, receiver } = await withNames();
      for (const id of [0, 1]) {
        await expect(names.connect(receiver).setDatasetTarget(IEEE39, id))
          .to.be.revertedWithCustomError(names, "UnknownDataset")
          .withArgs(id);
      }
    });

    shouldBehaveLikeNameOwnerOnly(withNames, IEEE39, (names) => names.setDatasetTarget(IEEE39, 1));
  });

  describe("setMetadataURI", function () {
    it("points the name at a URI and emits TargetSet", async function () {
      const { names, receiver } = await withNames();
      await expect(names.connect(receiver).setMetadataURI(IEEE39, "ipfs://case39"))
        .to.emit(names, "TargetSet")
        .withArgs(IEEE39, TargetKind.MetadataURI, ethers.ZeroHash, "ipfs://case39");
      const target = await names.resolve(IEEE39);
      expect([target.kind, target.value, target.uri]).to.deep.equal([
        BigInt(TargetKind.MetadataURI),
        ethers.ZeroHash,
        "ipfs://case39",
      ]);
    });

    it("drops the URI when another kind of target replaces it", async function () {
      const { names, receiver, terminals } = await withNames();
      await names.connect(receiver).setMetadataURI(IEEE39, "ipfs://case39");
      await names.connect(receiver).setTerminalTarget(IEEE39, terminals[0].id);
      expect((await names.resolve(IEEE39)).uri).to.equal("");
    });

    it("rejects an empty URI", async function () {
      const { names, receiver } = await withNames();
      await expect(names.connect(receiver).setMetadataURI(IEEE39, "")).to.be.revertedWithCustomError(
        names,
        "EmptyMetadataURI",
      );
    });

    shouldBehaveLikeNameOwnerOnly(withNames, IEEE39, (names) => names.setMetadataURI(IEEE39, "x"));
  });

  describe("clearTarget", function () {
    it("removes the target and emits TargetSet with None", async function () {
      const { names, receiver } = await withNames();
      await names.connect(receiver).setMetadataURI(IEEE39, "ipfs://case39");
      await expect(names.connect(receiver).clearTarget(IEEE39))
        .to.emit(names, "TargetSet")
        .withArgs(IEEE39, TargetKind.None, ethers.ZeroHash, "");
      const target = await names.resolve(IEEE39);
      expect([target.kind, target.value, target.uri]).to.deep.equal([0n, ethers.ZeroHash, ""]);
    });

    shouldBehaveLikeNameOwnerOnly(withNames, IEEE39, (names) => names.clearTarget(IEEE39));
  });

  describe("views", function () {
    it("resolve, resolveName and getName reject an unknown name; ownerOf returns zero", async function () {
      const { names } = await fixture();
      await expect(names.resolve(GZ)).to.be.revertedWithCustomError(names, "NameNotRegistered").withArgs(GZ);
      await expect(names.resolveName("gz")).to.be.revertedWithCustomError(names, "NameNotRegistered").withArgs(GZ);
      await expect(names.getName(GZ)).to.be.revertedWithCustomError(names, "NameNotRegistered").withArgs(GZ);
      expect(await names.ownerOf(GZ)).to.equal(ethers.ZeroAddress);
    });

    it("resolveName rejects a malformed name", async function () {
      const { names } = await fixture();
      await expect(names.resolveName("gz..x")).to.be.revertedWithCustomError(names, "EmptyLabel");
    });
  });
});
