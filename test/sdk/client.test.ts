import { expect } from "chai";
import hre from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { Interface, type ContractRunner } from "ethers";
import { deployCore } from "../../src/chain/deploy.node";
import {
  AnchorRefusedError,
  devTerminalWallet,
  GridLedgerClient,
  NAME_REGISTRY_ABI,
  nameRegistryResolver,
  RecordKind,
  SHARING_ABI,
  sharingGrantChecker,
  toTerminalId,
  type AnchoredBatch,
  type Deployment,
  type GridRecord,
} from "../../src/sdk";
import { futureWindow, mineAt, scratchDir } from "../helpers/scenario";
import { acquisitionDomain, signHeader } from "../../src/chain/eip712";
import { nextHeader } from "../../src/chain/headers";
import { readStreamState } from "../../src/chain/streams";
import { FastMerkleTree, initMerkle } from "../../src/merkle";

const BUS5 = "sdk.bus5.pmu";
const BUS13 = "sdk.bus13.ttu";

function readings(terminal: string, windowStart: number, n: number, offset = 0): GridRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    terminalId: toTerminalId(terminal),
    kind: RecordKind.Reading,
    timestamp: windowStart + 60 * i,
    payload: { power_kw: 100 + offset + i, voltage_v: 231 },
  }));
}

/** A 15-minute window that has just closed on the chain clock. */
async function closedWindow(): Promise<number> {
  const latest = await hre.ethers.provider.getBlock("latest");
  const start = futureWindow(latest!.timestamp);
  await mineAt((m, p) => hre.network.provider.send(m, p), start + 900 + 5);
  return start;
}

describe("GridLedgerClient", function () {
  let deployment: Deployment;
  let admin: HardhatEthersSigner;
  let client: GridLedgerClient;

  before(async function () {
    [admin] = await hre.ethers.getSigners();
    const deployed = await deployCore({ signer: admin, network: "hardhat", dir: scratchDir("sdk") });
    deployment = deployed.deployment;
    client = await GridLedgerClient.fromDeployment(admin, JSON.parse(JSON.stringify(deployment)));
  });

  describe("fromDeployment", function () {
    it("refuses a deployment made for another chain", async function () {
      const other = { ...deployment, chainId: 1 };
      await expect(GridLedgerClient.fromDeployment(admin, other)).to.be.rejectedWith(
        /deployment hardhat-1 is for chain 1, but the node is chain 31337/,
      );
    });

    it("refuses addresses without contract code", async function () {
      const empty = structuredClone(deployment);
      empty.contracts.DataAcquisition!.address = "0x000000000000000000000000000000000000dEaD";
      await expect(GridLedgerClient.fromDeployment(admin, empty)).to.be.rejectedWith(
        /no contract code at DataAcquisition 0x000000000000000000000000000000000000dEaD/,
      );
    });

    it("refuses contracts of another release, naming contract, address, found and expected version", async function () {
      const stub = await (await hre.ethers.getContractFactory("VersionStub")).deploy("1.0.0");
      const old = structuredClone(deployment);
      old.contracts.DataSharing!.address = await stub.getAddress();
      await expect(GridLedgerClient.fromDeployment(admin, old)).to.be.rejectedWith(
        `DataSharing at ${await stub.getAddress()} is version 1.0.0, but these tools expect version 2.0.0`,
      );
      old.contracts.DataAcquisition!.address = await stub.getAddress();
      await expect(GridLedgerClient.fromDeployment(admin, old)).to.be.rejectedWith(
        `DataAcquisition at ${await stub.getAddress()} is version 1.0.0, but these tools expect version 2.0.0`,
      );
    });

    it("names the bad field of a malformed deployment", async function () {
      await expect(GridLedgerClient.fromDeployment(admin, { ...deployment, chainId: "x" })).to.be.rejectedWith(
        /deployment: field "chainId"/,
      );
    });
  });

  describe("terminals", function () {
    it("registers terminals once and lists them", async function () {
      const entries = [
        { id: BUS5, kind: "PMU", grid: "ieee39", bus: 5 },
        { id: BUS13, kind: "TTU", grid: "ieee39", bus: 13, geohash: "wsqqm" },
      ];
      const first = await client.registerTerminals(entries);
      expect(first.registered.map((s) => s.label)).to.deep.equal([BUS5, BUS13]);
      expect(first.txHashes).to.have.length(1);
      const again = await client.registerTerminals(entries);
      expect(again.registered).to.have.length(0);
      expect(again.alreadyRegistered).to.have.length(2);

      const rows = await client.listTerminals();
      expect(rows.map((r) => r.terminalId)).to.deep.equal([toTerminalId(BUS5), toTerminalId(BUS13)]);
      expect(rows[1]).to.include({ kind: "TTU", status: "Active", grid: "ieee39", bus: 13, geohash: "wsqqm" });
      expect(rows[0].signer).to.equal(devTerminalWallet(toTerminalId(BUS5)).address);
    });

    it("names the entry and field of an invalid terminal", async function () {
      await expect(client.registerTerminals([{ id: "x.y", kind: "toaster" }])).to.be.rejectedWith(
        /terminals:1 field "kind": unknown kind "toaster"/,
      );
    });

    it("refuses to send from a read-only provider", async function () {
      const readOnly = await GridLedgerClient.fromDeployment(hre.ethers.provider, deployment);
      await expect(readOnly.registerTerminals([{ id: "sdk.ro", kind: "PMU" }])).to.be.rejectedWith(
        /registerTerminals: the client is connected to a read-only provider; connect it with a Signer/,
      );
      expect(await readOnly.listTerminals()).to.have.length(2);
    });
  });

  describe("anchoring and verification", function () {
    let records: GridRecord[];
    let anchored: Awaited<ReturnType<GridLedgerClient["anchorBatch"]>>;

    before(async function () {
      const start = await closedWindow();
      records = readings(BUS5, start, 8);
      anchored = await client.anchorBatch({
        records,
        terminal: BUS5,
        dataType: 1,
        key: devTerminalWallet(toTerminalId(BUS5)),
      });
    });

    it("anchors a batch and returns every record's proof", async function () {
      expect(anchored.status).to.equal("anchored");
      expect(anchored.proofs.proofs).to.have.length(8);
      expect(anchored.proofs.root).to.equal(anchored.tree.root);
      expect(anchored.proofs.batch).to.include({ batchId: Number(anchored.batchId), txHash: anchored.txHash });
      const [batch] = await client.listBatches({ terminal: BUS5 });
      expect(batch).to.include({ batchId: anchored.batchId, merkleRoot: anchored.tree.root, recordCount: 8 });
    });

    it("reports a batch already on chain instead of sending it again", async function () {
      const again = await client.anchorBatch({
        records,
        terminal: BUS5,
        dataType: 1,
        key: devTerminalWallet(toTerminalId(BUS5)),
      });
      expect(again).to.include({ status: "already-anchored", batchId: anchored.batchId });
    });

    it("verifies a record with its batch, terminal, tx and block", async function () {
      const result = await client.verifyRecord(records[3], anchored.proofs);
      expect(result).to.include({ anchored: true, verdict: "anchored" });
      expect(result.batch).to.include({ batchId: anchored.batchId, txHash: anchored.txHash });
      expect(result.batch!.blockNumber).to.equal(anchored.blockNumber);
      expect(result.terminal).to.include({ id: toTerminalId(BUS5), kind: "PMU", status: "Active" });
    });

    it("verifies a single proof entry with the record it carries", async function () {
      const result = await client.verifyProofEntry(JSON.parse(JSON.stringify(anchored.proofs.proofs[5])));
      expect(result.verdict).to.equal("anchored");
    });

    it("reports a tampered record", async function () {
      const tampered = { ...records[3], payload: { ...records[3].payload, power_kw: 999 } };
      const result = await client.verifyRecord(tampered, anchored.proofs);
      expect(result).to.include({ anchored: false, verdict: "tampered" });
      expect(result.reason).to.match(/^TAMPERED/);
      expect(result.proof!.record).to.deep.equal(records[3]);
      const entry = structuredClone(anchored.proofs.proofs[3]);
      entry.record.payload.voltage_v = 240;
      expect((await client.verifyProofEntry(entry)).verdict).to.equal("tampered");
    });

    it("reports a record without a proof as not found", async function () {
      const other = readings(BUS13, records[0].timestamp, 1)[0];
      expect((await client.verifyRecord(other, anchored.proofs.proofs)).verdict).to.equal("not-found");
    });

    it("anchors with a key that signs EIP-712 remotely (a wallet, not a raw key)", async function () {
      const [, , , , , terminalKey] = await hre.ethers.getSigners();
      await client.registerTerminals([{ id: "sdk.wallet.meter", kind: "SmartMeter", signer: terminalKey.address }]);
      const start = await closedWindow();
      const outcome = await client.anchorBatch({
        records: readings("sdk.wallet.meter", start, 3),
        terminal: "sdk.wallet.meter",
        dataType: 1,
        key: terminalKey,
      });
      expect(outcome.status).to.equal("anchored");
      expect((await client.verifyProofEntry(outcome.proofs.proofs[2])).verdict).to.equal("anchored");
    });

    it("refuses a batch signed with the wrong key before sending anything", async function () {
      const start = await closedWindow();
      const block = await hre.ethers.provider.getBlockNumber();
      const refusal = await client
        .anchorBatch({ records: readings(BUS13, start, 2), terminal: BUS13, dataType: 1, key: admin })
        .catch((e: unknown) => e);
      expect(refusal).to.be.instanceOf(AnchorRefusedError);
      expect((refusal as AnchorRefusedError).code).to.equal("WRONG_KEY");
      expect(await hre.ethers.provider.getBlockNumber()).to.equal(block);
    });
  });

  describe("watchBatches", function () {
    it("delivers new batches in order and stops when unsubscribed", async function () {
      const seen: AnchoredBatch[] = [];
      const stop = client.watchBatches((b) => void seen.push(b), { pollIntervalMs: 50 });
      await new Promise((r) => setTimeout(r, 150));
      const start = await closedWindow();
      const key = devTerminalWallet(toTerminalId(BUS13));
      const a = await client.anchorBatch({ records: readings(BUS13, start, 2), terminal: BUS13, dataType: 1, key });
      const b = await client.anchorBatch({ records: readings(BUS13, start, 3, 50), terminal: BUS13, dataType: 1, key });
      await waitFor(() => seen.length >= 2);
      expect(seen.map((x) => x.batchId)).to.deep.equal([a.batchId, b.batchId]);
      expect(seen[1]).to.include({ terminalId: toTerminalId(BUS13), sequence: 2n, recordCount: 3, txHash: b.txHash });

      stop();
      const c = await client.anchorBatch({ records: readings(BUS13, start, 4, 90), terminal: BUS13, dataType: 1, key });
      await new Promise((r) => setTimeout(r, 200));
      expect(seen.map((x) => x.batchId)).to.not.include(c.batchId);
    });

    it("replays history from a given block, then follows", async function () {
      const seen: bigint[] = [];
      const stop = client.watchBatches((b) => void seen.push(b.batchId), { fromBlock: 0, pollIntervalMs: 50 });
      const count = await client.acquisition.batchCount();
      await waitFor(() => seen.length >= Number(count));
      stop();
      expect(seen).to.deep.equal(Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1)));
    });

    it("reports a failing callback and keeps going", async function () {
      const errors: unknown[] = [];
      const seen: bigint[] = [];
      const stop = client.watchBatches(
        (b) => {
          seen.push(b.batchId);
          if (seen.length === 1) throw new Error("listener broke");
        },
        { fromBlock: 0, pollIntervalMs: 50, onError: (e) => errors.push(e) },
      );
      await waitFor(() => seen.length >= 2);
      stop();
      expect((errors[0] as Error).message).to.equal("listener broke");
      expect(seen.slice(0, 2)).to.deep.equal([1n, 2n]);
    });
  });

  describe("root squatting", function () {
    it("refuses a root another terminal anchored first in its own stream, naming that stream", async function () {
      const start = await closedWindow();
      const squatted = readings(BUS5, start, 4, 50);
      // BUS13 copies BUS5's pending root into its own stream before BUS5's header is mined: straight to the
      // contract, as the tools refuse to sign another terminal's records.
      await initMerkle();
      const root = FastMerkleTree.ofRecords(squatted).root;
      const squatter = toTerminalId(BUS13);
      const { header } = nextHeader(await readStreamState(client.acquisition, squatter), {
        dataType: 1,
        terminalId: squatter,
        windowStart: BigInt(start),
        windowEnd: BigInt(start + 900),
        recordCount: squatted.length,
        merkleRoot: root,
      });
      const domain = acquisitionDomain(
        (await hre.ethers.provider.getNetwork()).chainId,
        await client.acquisition.getAddress(),
      );
      await (
        await client.acquisition.anchorBatch(header, signHeader(devTerminalWallet(squatter).privateKey, domain, header))
      ).wait();
      const squat = { batchId: (await client.acquisition.batchByRoot(root)).batchId };
      const refused = await client
        .anchorBatch({ records: squatted, terminal: BUS5, dataType: 1, key: devTerminalWallet(toTerminalId(BUS5)) })
        .catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(AnchorRefusedError);
      expect(refused).to.include({ code: "ROOT_IN_OTHER_STREAM" });
      expect((refused as Error).message).to.contain(
        `is already anchored as batch ${squat.batchId} in the stream of terminal ${toTerminalId(BUS13)}`,
      );
    });
  });

  describe("record signatures", function () {
    it("refuses records of another terminal before sending anything", async function () {
      const records = readings(BUS5, await closedWindow(), 2, 70);
      const before = await client.acquisition.batchCount();
      const refused = await client
        .anchorBatch({ records, terminal: BUS13, dataType: 1, key: devTerminalWallet(toTerminalId(BUS13)) })
        .catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(AnchorRefusedError);
      expect(refused).to.include({ code: "FOREIGN_RECORD" });
      expect((refused as Error).message).to.contain(`record 0 names terminal ${toTerminalId(BUS5)}`);
      expect(await client.acquisition.batchCount()).to.equal(before);
    });

    it("verifies a record only with its terminal's package signature", async function () {
      const records = readings(BUS5, await closedWindow(), 3, 90);
      const anchored = await client.anchorBatch({
        records,
        terminal: BUS5,
        dataType: 1,
        key: devTerminalWallet(toTerminalId(BUS5)),
      });
      const signed = await client.verifyRecord(records[1], anchored.proofs);
      expect(signed.verdict).to.equal("anchored");
      expect(signed.signature?.signer).to.equal(devTerminalWallet(toTerminalId(BUS5)).address.toLowerCase());
      // The same proof with its signature stripped (a v1 file) proves inclusion only: refused as unsigned.
      const unsigned = anchored.proofs.proofs.map(({ package: _pkg, ...p }) => p);
      expect((await client.verifyRecord(records[1], unsigned)).verdict).to.equal("unsigned");
      // Re-signed by another terminal's key: the record's terminal did not sign it.
      const forged = anchored.proofs.proofs.map((p) => ({
        ...p,
        package: {
          ...p.package!,
          signature: devTerminalWallet(toTerminalId(BUS13)).signingKey.sign(hre.ethers.id("x")).serialized,
        },
      }));
      const wrong = await client.verifyRecord(records[1], forged);
      expect(wrong.verdict).to.equal("wrong-signer");
      expect(wrong.anchored).to.equal(false);
    });
  });

  describe("anchoring after a pause", function () {
    it("anchors a window whose tolerance ran out while anchoring was paused", async function () {
      const start = await closedWindow();
      const { tolerance } = await client.acquisition.policyOf(1);
      const send = (m: string, p: unknown[]) => hre.network.provider.send(m, p);
      await client.acquisition.pause();
      const latest = await hre.ethers.provider.getBlock("latest");
      await mineAt(send, latest!.timestamp + Number(tolerance) + 3_600);
      await client.acquisition.unpause();
      const result = await client.anchorBatch({
        records: readings(BUS5, start, 3, 70),
        terminal: BUS5,
        dataType: 1,
        key: devTerminalWallet(toTerminalId(BUS5)),
      });
      expect(result.status).to.equal("anchored");
    });
  });

  describe("names and sharing", function () {
    it("explains that no module is configured", async function () {
      const coreOnly = new GridLedgerClient(admin, {
        registry: await client.registry.getAddress(),
        acquisition: await client.acquisition.getAddress(),
      });
      await expect(coreOnly.resolveName("gz.ieee39")).to.be.rejectedWith(/no name service configured/);
      await expect(coreOnly.isAuthorized(1, admin.address)).to.be.rejectedWith(/no sharing contract configured/);
    });

    it("takes the naming and sharing contracts from a four-contract deployment", async function () {
      expect(deployment.contracts).to.include.keys("DataNameRegistry", "DataSharing");
      expect(await client.resolveName("gz.ieee39")).to.equal(undefined);
      expect(await client.isAuthorized(1, admin.address)).to.equal(false);
    });

    it("uses a resolver and a grant checker given as objects", async function () {
      const withModules = new GridLedgerClient(
        admin,
        { registry: await client.registry.getAddress(), acquisition: await client.acquisition.getAddress() },
        {
          names: {
            resolve: async (name) => ({ name, node: "0x01", owner: admin.address, kind: "Terminal", target: "0x02" }),
          },
          sharing: {
            checkGrant: async (id) => ({
              authorized: id === 7n,
              grantedAt: 1,
              expiresAt: 2,
              revokedAt: 0,
              ciphertextHash: "0x03",
            }),
          },
        },
      );
      expect(await withModules.resolveName("gz.ieee39")).to.include({ kind: "Terminal", target: "0x02" });
      expect(await withModules.isAuthorized(7, admin.address)).to.equal(true);
      expect(await withModules.isAuthorized(8, admin.address)).to.equal(false);
    });

    it("resolves names through a DataNameRegistry's ABI", async function () {
      const iface = new Interface(NAME_REGISTRY_ABI);
      const node = hre.ethers.namehash("gz.ieee39.bus5");
      const runner = fakeRunner(iface, {
        namehash: () => [node],
        ownerOf: () => [admin.address],
        resolve: () => [[3n, hre.ethers.toBeHex(42n, 32), ""]],
      });
      const resolver = nameRegistryResolver({ address: admin.address }, runner);
      expect(await resolver.resolve("gz.ieee39.bus5")).to.deep.equal({
        name: "gz.ieee39.bus5",
        node,
        owner: admin.address,
        kind: "Dataset",
        target: "42",
      });
      const unknown = nameRegistryResolver(
        { address: admin.address },
        fakeRunner(iface, { namehash: () => [node], ownerOf: () => [hre.ethers.ZeroAddress] }),
      );
      expect(await unknown.resolve("gz.nothing")).to.equal(undefined);
    });

    it("decodes a malformed name's custom error", async function () {
      const iface = new Interface(NAME_REGISTRY_ABI);
      const revert = iface.encodeErrorResult("LabelNotLowercase", ["GZ", 0]);
      const resolver = nameRegistryResolver({ address: admin.address }, fakeRunner(iface, {}, revert));
      await expect(resolver.resolve("GZ.ieee39")).to.be.rejectedWith(/LabelNotLowercase\(label=GZ, position=0\)/);
    });

    it("checks grants through a DataSharing's ABI", async function () {
      const iface = new Interface(SHARING_ABI);
      const hash = hre.ethers.id("bundle");
      const checker = sharingGrantChecker(
        { address: admin.address },
        fakeRunner(iface, { isAuthorized: () => [true], grantOf: () => [[100n, 200n, 0n, hash]] }),
      );
      expect(await checker.checkGrant(3n, admin.address)).to.deep.equal({
        authorized: true,
        grantedAt: 100,
        expiresAt: 200,
        revokedAt: 0,
        ciphertextHash: hash,
      });
    });
  });

  describe("anchoring as a window closes", function () {
    it("checks the batch against the block it will be mined in, not the latest one (a chain mining on demand)", async function () {
      const latest = await hre.ethers.provider.getBlock("latest");
      const start = futureWindow(latest!.timestamp);
      const end = start + 900;
      // The latest block is from 3 s before the window closed; the next one, the anchor's, is after it.
      await mineAt((m, p) => hre.network.provider.send(m, p), end - 3);
      await hre.network.provider.send("evm_setNextBlockTimestamp", [end + 1]);
      const outcome = await client.anchorBatch({
        records: readings(BUS5, start, 2, 300),
        terminal: BUS5,
        dataType: 1,
        key: devTerminalWallet(toTerminalId(BUS5)),
        now: end + 1,
      });
      expect(outcome.status).to.equal("anchored");
      expect((await hre.ethers.provider.getBlock(outcome.blockNumber))!.timestamp).to.equal(end + 1);
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A runner that answers eth_call from handlers by function name, ABI-encoding their results, or reverts every
 * call with `revertData`: tests the adapters' encoding against the contracts' ABI without deploying them.
 */
function fakeRunner(
  iface: Interface,
  handlers: Record<string, (args: readonly unknown[]) => readonly unknown[]>,
  revertData?: string,
): ContractRunner {
  return {
    provider: null,
    async call(tx) {
      if (revertData) throw Object.assign(new Error("execution reverted"), { data: revertData });
      const parsed = iface.parseTransaction({ data: tx.data! })!;
      const handler = handlers[parsed.name];
      if (!handler) throw new Error(`unexpected call to ${parsed.name}`);
      return iface.encodeFunctionResult(parsed.fragment, handler(parsed.args));
    },
  };
}
