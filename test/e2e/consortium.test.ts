import { expect } from "chai";
import { id, ZeroHash } from "ethers";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { FailoverJsonRpcProvider } from "../../src/chain/failover";
import { anchorRecords } from "../../src/chain/anchor";
import type { CoreContracts } from "../../src/chain/contracts";
import { startGateway } from "../../src/gateway/server";
import { toTerminalId } from "../../src/chain/ids";
import { devTerminalWallet } from "../../src/chain/keys";
import { acquisitionDomain, headerDigest } from "../../src/chain/eip712";
import { headerFromJson } from "../../src/chain/headers";
import { signDigest } from "../../src/chain/nativeEcdsa.node";
import { listBatches, readStreamState } from "../../src/chain/streams";
import { DataType, type BatchHeader } from "../../src/chain/types";
import { loadCase } from "../../src/grid/case";
import { parseRecord } from "../../src/merkle";
import { DEFAULT_SCENARIO_OPTIONS, scenarioTerminals } from "../../src/pipeline/scenario";
import { encodeGridId, setupChain } from "../../src/pipeline/stages/setup";
import { registerTerminals } from "../../src/terminals/registration";
import { deployCore } from "../../src/chain/deploy.node";
import { parseProofs } from "../../src/chain/proofs";
import { verifyRecordOnChain } from "../../src/chain/verify";
import { startAnvil, type AnvilHandle } from "../../src/devnet/anvil";
import { startProxy, type ProxyHandle } from "../../src/devnet/proxy";
import { Journal } from "../../src/pipeline/journal";
import { batchRecords } from "../../src/pipeline/stages/prove";
import type { RunResult } from "../../src/pipeline/run";
import {
  devAccount,
  expectExactlyOnce,
  gridRunProcess,
  runCore,
  shortRun,
  startClientVersionFront,
  SteeredProvider,
  trainedModelFile,
  type ClientVersionFront,
} from "../helpers/consortium";
import { scratchDir } from "../helpers/scenario";
import {
  gatewayOptions,
  nextBoundary,
  postPackage,
  sleep,
  startTestChain,
  startTestGateway,
  stopTestChain,
  terminalFleet,
  useDeploymentsDir,
  waitFor,
} from "../helpers/gateway";
import { registerName, resolveName } from "../../src/naming/names";
import { readDataset, registerDataset } from "../../src/sharing/datasets.node";
import { setProviderAuthorisation, terminalsOfRoots } from "../../src/sharing/providers";

/** Seconds between blocks of the consortium tests (a QBFT network's usual block period). */
const BLOCK_TIME = 5;

/** A node that keeps wall-clock time (Besu, Geth): the pipeline backfills the periods that just ended. */
const WALL_CLOCK_NODE = "besu/v24.12.2/linux-x86_64/openjdk-java-21";

/** The journal's state transitions of one batch, oldest first. */
function transitions(result: RunResult, batchKey: string): { state: string; detail: string | null }[] {
  const db = new Database(join(result.dir, "journal.sqlite"), { readonly: true });
  try {
    return db.prepare("SELECT state, detail FROM transitions WHERE batch_key = ? ORDER BY id").all(batchKey) as {
      state: string;
      detail: string | null;
    }[];
  } finally {
    db.close();
  }
}

/** Pre-deploys the contracts and lets `relayers` register terminals and set policies, as a consortium admin would. */
async function consortiumSetup(provider: SteeredProvider, relayers: number[], network: string, dir: string) {
  process.env.GRIDLEDGER_DEPLOYMENTS_DIR = join(dir, "deployments");
  const admin = devAccount(0, provider);
  const deployed = await deployCore({ signer: admin, network });
  const { contracts } = deployed;
  for (const i of relayers) {
    const who = devAccount(i, provider).address;
    await (await contracts.registry.grantRole(await contracts.registry.REGISTRAR_ROLE(), who)).wait();
    await (await contracts.acquisition.grantRole(await contracts.acquisition.POLICY_ADMIN_ROLE(), who)).wait();
  }
  return deployed;
}

/** Registers one PMU terminal with its development key. */
async function registerPmu(core: CoreContracts, label: string) {
  const terminalId = toTerminalId(label);
  const key = devTerminalWallet(terminalId);
  await registerTerminals(core, [
    {
      label,
      terminalId,
      signer: key.address,
      kind: "PMU",
      location: { gridId: encodeGridId("ieee14"), bus: 1, geohash: `0x${"00".repeat(12)}` },
      metadataURI: label,
      line: 1,
    },
  ]);
  return { terminalId, key };
}

describe("consortium networks (issue 16)", function () {
  this.timeout(120_000);
  let anvil: AnvilHandle | undefined;
  const deploymentsDir = process.env.GRIDLEDGER_DEPLOYMENTS_DIR;
  afterEach(async function () {
    await anvil?.stop();
    anvil = undefined;
    if (deploymentsDir === undefined) delete process.env.GRIDLEDGER_DEPLOYMENTS_DIR;
    else process.env.GRIDLEDGER_DEPLOYMENTS_DIR = deploymentsDir;
  });

  describe("reorganisations", function () {
    context("when a reorg drops an anchor before its confirmations", function () {
      it("takes its batches back to submitted, sends them again and confirms each exactly once", async function () {
        const dir = scratchDir("reorg-drop");
        process.env.GRIDLEDGER_DEPLOYMENTS_DIR = join(dir, "deployments");
        anvil = await startAnvil();
        const provider = new SteeredProvider(anvil.url);
        // The first block mined for confirmations comes right after period 0's anchor: roll that block back first.
        let armed = true;
        let dropped = "";
        provider.before = async (method) => {
          if (method !== "evm_mine" || !armed) return;
          armed = false;
          const head = (await provider.send("eth_getBlockByNumber", ["latest", false])) as { transactions: string[] };
          dropped = head.transactions[0];
          await provider.send("anvil_rollback", [1]);
        };
        const lines: string[] = [];
        const result = await shortRun({
          signer: devAccount(0, provider),
          provider,
          out: join(dir, "runs"),
          confirmations: 3,
          log: (l) => lines.push(l),
        });
        expect(armed).to.equal(false);
        expect(lines.join("\n")).to.contain(`tx ${dropped} dropped by a reorganisation`);
        await expectExactlyOnce([result], runCore(result, provider));
        const states = transitions(result, "p0000-readings").map((t) => t.state);
        expect(states).to.deep.equal(["built", "signed", "submitted", "submitted", "submitted", "confirmed"]);
        expect(transitions(result, "p0000-readings")[3].detail).to.match(/dropped by a reorganisation.*same header/);
        const journal = new Journal(join(result.dir, "journal.sqlite"));
        expect(journal.batchByKey("p0000-readings")!.txHash).to.not.equal(dropped);
        journal.close();
        // Three confirmations: the anchor block is at least three deep.
        const head = await provider.getBlockNumber();
        expect(head - result.summary.batches.anchored).to.be.greaterThan(0);
        provider.destroy();
      });
    });

    context("when a reorg drops an anchor and another writer takes the stream's next sequence", function () {
      it("signs the header again on the new tip and confirms each batch exactly once", async function () {
        const dir = scratchDir("reorg-resign");
        process.env.GRIDLEDGER_DEPLOYMENTS_DIR = join(dir, "deployments");
        anvil = await startAnvil();
        const provider = new SteeredProvider(anvil.url);
        const { contracts: core } = await deployCore({ signer: devAccount(0, provider), network: "consortium" });
        const domain = acquisitionDomain((await provider.getNetwork()).chainId, await core.acquisition.getAddress());
        // At the first block mined for confirmations (right after period 0's anchor), roll that anchor back, and let
        // another writer holding the same terminal key anchor another root on the same stream tip in its place.
        let competing: BatchHeader | undefined;
        provider.before = async (method) => {
          if (method !== "evm_mine" || competing) return;
          const head = (await provider.send("eth_getBlockByNumber", ["latest", true])) as {
            timestamp: string;
            transactions: { input: string }[];
          };
          const iface = core.acquisition.interface;
          const call = iface.parseTransaction({ data: head.transactions[0].input })!;
          const first = call.name === "multicall" ? iface.parseTransaction({ data: call.args[0][0] })! : call;
          const h = first.args[0] as unknown as BatchHeader;
          competing = {
            dataType: Number(h.dataType),
            terminalId: h.terminalId,
            sequence: h.sequence,
            windowStart: h.windowStart,
            windowEnd: h.windowEnd,
            recordCount: Number(h.recordCount),
            merkleRoot: id("another writer's batch"),
            prevHeaderHash: h.prevHeaderHash,
          };
          await provider.send("anvil_rollback", [1]);
          await provider.send("evm_setNextBlockTimestamp", [Number(head.timestamp)]);
          const signature = signDigest(devTerminalWallet(h.terminalId).signingKey, headerDigest(domain, competing));
          await (await core.acquisition.connect(devAccount(1, provider)).anchorBatch(competing, signature)).wait();
        };
        const result = await shortRun({
          signer: devAccount(0, provider),
          provider,
          out: join(dir, "runs"),
          confirmations: 3,
        });
        expect(competing, "the reorg happened").to.not.equal(undefined);
        const { terminalId } = competing!;

        // Period 0's first batch in that stream: dropped, then signed again as the sequence after the other writer's.
        const journal = new Journal(join(result.dir, "journal.sqlite"));
        const ours = journal
          .batches({ period: 0 })
          .filter((b) => b.terminalId.toLowerCase() === terminalId.toLowerCase())
          .map((b) => ({ batch: b, header: headerFromJson(b.header!) }))
          .sort((x, y) => Number(x.header.sequence - y.header.sequence));
        const stream = await listBatches(core.acquisition, { terminalId });
        expect(stream[0].merkleRoot).to.equal(competing!.merkleRoot);
        expect(ours[0].header.sequence).to.equal(competing!.sequence + 1n);
        expect(ours[0].header.prevHeaderHash).to.equal(stream[0].headerHash);
        const history = transitions(result, ours[0].batch.batchKey);
        expect(history.map((t) => t.state)).to.deep.equal([
          "built",
          "signed",
          "submitted",
          "built",
          "signed",
          "submitted",
          "confirmed",
        ]);
        expect(history[1].detail).to.match(new RegExp(`^sequence ${competing!.sequence} by `));
        expect(history[3].detail).to.match(/dropped by a reorganisation.*the stream tip moved: signing again on it/);
        expect(history[4].detail).to.match(new RegExp(`^sequence ${competing!.sequence + 1n} by `));

        // Every batch of the run is confirmed once where the chain has it, and the stream ends at our last header.
        for (const b of journal.batches()) {
          expect(b.state, b.batchKey).to.equal("confirmed");
          const onChain = await core.acquisition.batchByRoot(b.root);
          expect(Number(onChain.batchId), b.batchKey).to.equal(b.batchId);
        }
        const last = stream[stream.length - 1];
        expect(stream.map((e) => e.sequence)).to.deep.equal(stream.map((_, i) => BigInt(i + 1)));
        expect(journal.batches().some((b) => b.root.toLowerCase() === last.merkleRoot.toLowerCase())).to.equal(true);
        expect((await readStreamState(core.acquisition, terminalId)).headerHash).to.equal(last.headerHash);
        journal.close();
        expect(result.summary.invariant.holds).to.equal(true);
        expect(result.summary.verifiedSamples.failed).to.equal(0);
        provider.destroy();
      });
    });

    context("when a reorg re-orders the anchors of two writers", function () {
      it("keeps every proof valid by root and corrects the journal's batch ids on resume", async function () {
        const dir = scratchDir("reorg-order");
        anvil = await startAnvil();
        const provider = new SteeredProvider(anvil.url);
        provider.clientVersion = WALL_CLOCK_NODE;
        const { governance } = await consortiumSetup(provider, [1, 2], "consortium", dir);
        const a = await shortRun({ signer: devAccount(1, provider), provider, out: join(dir, "a"), periods: 1 });
        const firstOfB = (await provider.getBlockNumber()) + 1;
        const b = await shortRun({
          signer: devAccount(2, provider),
          provider,
          out: join(dir, "b"),
          periods: 1,
          caseName: "ieee30",
        });
        const core = runCore(a, provider);
        const idsBefore = new Map(
          [a, b].flatMap((r) => {
            const j = new Journal(join(r.dir, "journal.sqlite"));
            const out = j.batches().map((x) => [x.root, x.batchId] as const);
            j.close();
            return out;
          }),
        );

        // Name A's batch and list every batch of both writers in a dataset, by root, before the reorg.
        const [namedRoot] = idsBefore.keys();
        const roots = [...idsBefore.keys()];
        const lastAnchor = await provider.getBlockNumber();
        const { sharing, names } = governance;
        const dataProvider = devAccount(0, provider).address;
        await (await sharing.grantRole(await sharing.PROVIDER_ROLE(), dataProvider)).wait();
        // A provider lists only batches of terminals it is authorised for (issue 12, point 8).
        for (const terminal of new Set((await terminalsOfRoots(sharing, roots)).values()))
          await setProviderAuthorisation(sharing, { provider: dataProvider, scope: "Terminal", id: terminal }, true);
        await registerName(names, "feeder.a", { target: { kind: "Batch", merkleRoot: namedRoot } });
        const { datasetId } = await registerDataset(sharing, { merkleRoots: roots });

        // Move A's anchors (found by the transaction hashes A journaled, not by position) after all of B's, ahead of
        // the naming and sharing.
        const journalA = new Journal(join(a.dir, "journal.sqlite"));
        const anchorsOfA = new Set(journalA.batches().map((x) => x.txHash!.toLowerCase()));
        journalA.close();
        const blockOf = async (hash: string) => (await provider.getTransactionReceipt(hash))!.blockNumber;
        const first = Math.min(...(await Promise.all([...anchorsOfA].map(blockOf))));
        expect(first, "A anchored before B started").to.be.lessThan(firstOfB);
        const head = await provider.getBlockNumber();
        const blocks: string[][] = [];
        for (let n = first; n <= head; n++) {
          const block = (await provider.send("eth_getBlockByNumber", [`0x${n.toString(16)}`, false])) as {
            transactions: string[];
          };
          blocks.push(block.transactions);
        }
        const raw = async (hash: string) => (await provider.send("eth_getRawTransactionByHash", [hash])) as string;
        const upToLastAnchor = blocks.slice(0, lastAnchor - first + 1);
        const isA = (txs: string[]) => txs.some((h) => anchorsOfA.has(h.toLowerCase()));
        const order = [
          ...upToLastAnchor.filter((txs) => !isA(txs)),
          ...upToLastAnchor.filter(isA),
          ...blocks.slice(lastAnchor - first + 1),
        ];
        const pairs: [string, number][] = [];
        for (const [offset, txs] of order.entries()) for (const h of txs) pairs.push([await raw(h), offset]);
        await provider.send("anvil_reorg", [blocks.length, pairs]);
        let changed = 0;
        for (const [root, id] of idsBefore) {
          const stored = await core.acquisition.batchByRoot(root);
          expect(stored.anchoredAt, `${root} still anchored`).to.not.equal(0n);
          if (Number(stored.batchId) !== id) changed++;
        }
        expect(changed, "the reorg changed batch ids").to.be.greaterThan(0);

        // The name and the dataset hold roots: they still point at the same batches.
        const named = await resolveName(names, "feeder.a");
        expect(named.target).to.deep.equal({ kind: "Batch", merkleRoot: namedRoot });
        const dataset = await readDataset(sharing, datasetId);
        expect(dataset.merkleRoots).to.have.members(roots.map((r) => r.toLowerCase()));
        for (const r of roots) expect(await sharing.datasetIncludesBatch(datasetId, r), r).to.equal(true);
        const namedBatch = new Journal(join(a.dir, "journal.sqlite"));
        const namedKey = namedBatch.batches().find((x) => x.root === namedRoot)!;
        const namedFile = join(a.dir, "proofs", `${namedKey.batchKey}.json`);
        const namedProofs = parseProofs(JSON.parse(readFileSync(namedFile, "utf8")), namedFile);
        const [namedRecord] = batchRecords({ journal: namedBatch }, namedKey.batchKey);
        namedBatch.close();
        for (const p of namedProofs) expect(p.root.toLowerCase()).to.equal(namedRoot.toLowerCase());
        const namedVerdict = await verifyRecordOnChain(core, namedRecord, namedProofs);
        expect(namedVerdict.verdict, namedVerdict.reason).to.equal("anchored");

        // Proof files written before the reorg carry the root: they still verify.
        for (const r of [a, b]) {
          const journal = new Journal(join(r.dir, "journal.sqlite"));
          for (const batch of journal.batches()) {
            const file = join(r.dir, "proofs", `${batch.batchKey}.json`);
            const proofs = parseProofs(JSON.parse(readFileSync(file, "utf8")), file);
            const [record] = batchRecords({ journal }, batch.batchKey);
            const verdict = await verifyRecordOnChain(core, record, proofs);
            expect(verdict.verdict, verdict.reason).to.equal("anchored");
          }
          journal.close();
        }

        // Resuming reconciles: the journal follows the chain and the proof files are written again.
        const lines: string[] = [];
        const resumed = [
          await shortRun({
            signer: devAccount(1, provider),
            provider,
            out: join(dir, "a"),
            resume: a.runId,
            log: (l) => lines.push(l),
          }),
          await shortRun({ signer: devAccount(2, provider), provider, out: join(dir, "b"), resume: b.runId }),
        ];
        expect(lines.join("\n")).to.match(/now batch \d+ in block \d+/);
        await expectExactlyOnce(resumed, core);
        for (const r of resumed) {
          const journal = new Journal(join(r.dir, "journal.sqlite"));
          for (const batch of journal.batches()) {
            const doc = JSON.parse(readFileSync(join(r.dir, "proofs", `${batch.batchKey}.json`), "utf8")) as {
              batch: { batchId: number };
            };
            expect(doc.batch.batchId).to.equal(batch.batchId);
          }
          journal.close();
        }
        provider.destroy();
      });
    });
  });

  describe("--confirmations", function () {
    it("makes grid:anchor wait until the anchor is that many blocks deep", async function () {
      const dir = scratchDir("confirmations");
      process.env.GRIDLEDGER_DEPLOYMENTS_DIR = join(dir, "deployments");
      anvil = await startAnvil();
      const provider = new SteeredProvider(anvil.url);
      const { contracts: core } = await deployCore({ signer: devAccount(0, provider), network: "confirmations" });
      const { terminalId, key } = await registerPmu(core, "conf.pmu");
      const now = (await provider.getBlock("latest"))!.timestamp;
      const records = [now - 30, now - 10].map((timestamp, i) =>
        parseRecord({ terminalId, kind: 3, timestamp, payload: { trip: i } }, `c${i}`),
      );
      let settled = false;
      const anchoring = anchorRecords({ core, records, terminalId, dataType: DataType.Event, key, confirmations: 3 });
      void anchoring.then(() => (settled = true));
      await new Promise((r) => setTimeout(r, 1_500));
      expect(settled, "settled before any further block").to.equal(false);
      await provider.send("evm_mine", []);
      await new Promise((r) => setTimeout(r, 600));
      expect(settled, "settled after 2 of 3 confirmations").to.equal(false);
      await provider.send("evm_mine", []);
      const outcome = await anchoring;
      expect(outcome.status).to.equal("anchored");
      expect(await provider.getBlockNumber()).to.equal(outcome.blockNumber + 2);
      await expect(
        anchorRecords({ core, records, terminalId, dataType: DataType.Event, key, confirmations: 0 }),
      ).to.be.rejectedWith(/confirmations must be a whole number of blocks >= 1, got 0/);
      provider.destroy();
    });

    it("makes grid:serve journal a batch confirmed only once its anchor is that many blocks deep", async function () {
      const dir = scratchDir("serve-confirmations");
      const restore = useDeploymentsDir(join(dir, "deployments"));
      const chain = await startTestChain();
      const N = 3;
      const gw = await startTestGateway(chain, gatewayOptions(join(dir, "gw"), { periodSeconds: 3, confirmations: N }));
      try {
        const startAt = nextBoundary(3);
        const fleet = await terminalFleet({ chainId: chain.chainId, periodSeconds: 3, startAt });
        while (fleet.periodNow() < 0) await sleep(100);
        for (const p of fleet.packagesOf(fleet.periodNow())) await postPackage(gw.httpUrl, p.body);
        // Every observation: a confirmed batch is N deep; an unconfirmed mined one is seen at least once.
        const anchorBlock = new Map<string, number>();
        let waited = 0;
        const allConfirmed = await waitFor(
          async () => {
            const batches = gw.journal.batches();
            const head = await chain.provider.getBlockNumber();
            for (const b of batches.filter((x) => x.txHash)) {
              const receipt = await chain.provider.getTransactionReceipt(b.txHash!);
              if (receipt) anchorBlock.set(b.batchKey, receipt.blockNumber);
              const depth = receipt ? head - receipt.blockNumber + 1 : 0;
              if (b.state === "confirmed") expect(depth, `${b.batchKey} depth when confirmed`).to.be.at.least(N);
              else if (receipt && depth < N) waited++;
            }
            if (batches.length > 0 && batches.every((b) => b.state === "confirmed")) return true;
            if (anchorBlock.size > 0) await chain.provider.send("evm_mine", []);
            return false;
          },
          60_000,
          500,
        );
        expect(allConfirmed, "every batch confirmed").to.equal(true);
        expect(waited, "a mined anchor waited for its confirmations").to.be.greaterThan(0);
        for (const b of gw.journal.batches()) expect(b.blockNumber).to.equal(anchorBlock.get(b.batchKey));
      } finally {
        await gw.close();
        await stopTestChain(chain);
        restore();
      }
    });

    it("is refused by grid:serve when it is not 1-64 blocks", async function () {
      const provider = new SteeredProvider("http://127.0.0.1:9");
      const serve = startGateway({ confirmations: 0 } as Parameters<typeof startGateway>[0], {
        signer: devAccount(0, provider),
        provider,
        network: "none",
        log: () => undefined,
      });
      await expect(serve).to.be.rejectedWith(/--confirmations: a whole number of blocks 1-64, got 0/);
      provider.destroy();
    });
  });

  describe("several RPC endpoints", function () {
    let proxies: ProxyHandle[] = [];
    afterEach(async function () {
      for (const p of proxies) await p.kill();
      proxies = [];
    });

    context("when the first endpoint dies with a transaction's answer in flight", function () {
      it("fails over, finds the transaction by hash and anchors every batch exactly once", async function () {
        const dir = scratchDir("failover");
        process.env.GRIDLEDGER_DEPLOYMENTS_DIR = join(dir, "deployments");
        anvil = await startAnvil();
        proxies = [await startProxy(anvil.url), await startProxy(anvil.url)];
        const switches: string[] = [];
        const [first] = proxies;
        let armed = false;
        /** Once armed, the node takes the next anchor, then the first endpoint dies before its answer arrives. */
        class Dying extends FailoverJsonRpcProvider {
          override async _send(payload: Parameters<FailoverJsonRpcProvider["_send"]>[0]) {
            const result = await super._send(payload);
            const methods = (Array.isArray(payload) ? payload : [payload]).map((p) => p.method);
            if (armed && methods.includes("eth_sendRawTransaction")) {
              armed = false;
              await first.kill();
              throw new Error("socket hang up");
            }
            return result;
          }
        }
        const provider = new Dying(
          proxies.map((p) => p.url),
          { staticNetwork: true, pollingInterval: 250, onFailover: (from, to) => switches.push(`${from} -> ${to}`) },
        );
        const lines: string[] = [];
        const run = shortRun({
          signer: devAccount(0, provider),
          provider,
          out: join(dir, "runs"),
          periods: 3,
          network: "failover",
          log: (l) => lines.push(l),
          // Period 1's anchor is the next transaction after period 0.
          onPeriod: (done) => (armed = done === 1),
        });
        const result = await run;
        expect(switches).to.deep.equal([`${proxies[0].url} -> ${proxies[1].url}`]);
        expect(lines.join("\n")).to.match(/attempt 1 failed \(socket hang up\)/);
        await expectExactlyOnce([result], runCore(result, provider));
        // Nothing was sent twice: one anchoring transaction per period.
        expect(result.summary.batches.transactions).to.equal(3);
        provider.destroy();
      });
    });
  });

  describe("several writers", function () {
    context("when two pipelines anchor into the same contracts at once", function () {
      it("clashes on no nonce and no stream, and anchors every batch exactly once", async function () {
        const dir = scratchDir("writers");
        anvil = await startAnvil();
        const provider = new SteeredProvider(anvil.url);
        provider.clientVersion = WALL_CLOCK_NODE;
        await consortiumSetup(provider, [1, 2], "consortium", dir);
        const results = await Promise.all([
          shortRun({ signer: devAccount(1, provider), provider, out: join(dir, "a"), periods: 3 }),
          shortRun({
            signer: devAccount(2, provider),
            provider,
            out: join(dir, "b"),
            periods: 3,
            caseName: "ieee30",
          }),
        ]);
        const core = runCore(results[0], provider);
        expect(results[1].summary.contracts.DataAcquisition).to.equal(results[0].summary.contracts.DataAcquisition);
        await expectExactlyOnce(results, core);
        for (const r of results) expect(r.summary.batches.transactions).to.equal(3);
        provider.destroy();
      });
    });

    context("when two grid:run processes anchor into the same contracts at once", function () {
      let front: ClientVersionFront | undefined;
      afterEach(async function () {
        await front?.close();
        front = undefined;
      });

      it("clashes on no nonce and no stream, anchors every batch once, and every proof verifies", async function () {
        // Each process starts its own Hardhat (about 10 s of CPU) on a machine others share.
        this.timeout(180_000);
        const dir = scratchDir("writer-processes");
        anvil = await startAnvil();
        const provider = new SteeredProvider(anvil.url);
        // Both processes see anvil as a wall-clock node (Besu) through a front: they backfill, neither moves the clock.
        front = await startClientVersionFront(anvil.url, WALL_CLOCK_NODE);
        const { contracts: core } = await consortiumSetup(provider, [1, 2], "custom", dir);
        const writers = [
          { relayer: devAccount(1, provider), caseName: "ieee14" },
          { relayer: devAccount(2, provider), caseName: "ieee30" },
        ];
        // The model an earlier test trained, when there is one: each process then skips its own training.
        const model = trainedModelFile();
        // Both run to their end before anything is checked (a failed one does not leave the other running).
        const settled = await Promise.allSettled(
          writers.map((w) =>
            gridRunProcess({
              rpcUrl: front!.url,
              relayerKey: w.relayer.privateKey,
              deploymentsDir: join(dir, "deployments"),
              args: [
                ...["--case", w.caseName, "--periods", "2", "--confirmations", "1", "--no-faults"],
                ...(model ? ["--model", model] : []),
              ],
              out: join(dir, w.caseName),
              timeoutMs: 150_000,
            }),
          ),
        );
        const failed = settled.find((s) => s.status === "rejected");
        if (failed) throw failed.reason;
        const results = settled.map((s) => (s as PromiseFulfilledResult<RunResult>).value);
        await expectExactlyOnce(results, core);

        for (const [i, r] of results.entries()) {
          const { relayer } = writers[i];
          expect(r.summary.contracts.DataAcquisition).to.equal(await core.acquisition.getAddress());
          // One transaction per period, each from the writer's own relayer: no nonce clash forced a re-send.
          expect(r.summary.batches.transactions, r.runId).to.equal(2);
          const journal = new Journal(join(r.dir, "journal.sqlite"));
          const batches = journal.batches();
          for (const txHash of new Set(batches.map((b) => b.txHash!))) {
            expect((await provider.getTransaction(txHash))!.from, txHash).to.equal(relayer.address);
          }

          // Each stream is the writer's headers in order, and its tip on-chain is the journal's last header.
          const streams = new Map<string, BatchHeader[]>();
          for (const b of batches) {
            const header = headerFromJson(b.header!);
            streams.set(b.terminalId, [...(streams.get(b.terminalId) ?? []), header]);
          }
          for (const [terminalId, headers] of streams) {
            headers.sort((x, y) => Number(x.sequence - y.sequence));
            const events = await listBatches(core.acquisition, { terminalId });
            expect(
              events.map((e) => e.merkleRoot),
              terminalId,
            ).to.deep.equal(headers.map((h) => h.merkleRoot));
            expect(headers.map((h) => h.sequence)).to.deep.equal(headers.map((_, k) => BigInt(k + 1)));
            for (const [k, h] of headers.entries())
              expect(h.prevHeaderHash).to.equal(k === 0 ? ZeroHash : events[k - 1].headerHash);
            const tip = await readStreamState(core.acquisition, terminalId);
            expect(tip).to.deep.equal({ sequence: BigInt(headers.length), headerHash: events.at(-1)!.headerHash });
          }

          // Every record's proof verifies on-chain (by root, with its package signature).
          for (const batch of batches) {
            const file = join(r.dir, "proofs", `${batch.batchKey}.json`);
            const proofs = parseProofs(JSON.parse(readFileSync(file, "utf8")), file);
            const records = batchRecords({ journal }, batch.batchKey);
            expect(records.length, batch.batchKey).to.equal(batch.recordCount);
            // At once: the provider batches the calls, so a few hundred records take a few round trips.
            const verdicts = await Promise.all(records.map((record) => verifyRecordOnChain(core, record, proofs)));
            for (const v of verdicts) expect(v.verdict, v.reason).to.equal("anchored");
          }
          journal.close();
        }
        provider.destroy();
      });
    });
  });

  describe("consortium block times and fees", function () {
    /** anvil as a consortium chain: a block every 5 s and no fee; set up (deploy, register) under automine. */
    async function slowChain(dir: string) {
      process.env.GRIDLEDGER_DEPLOYMENTS_DIR = join(dir, "deployments");
      anvil = await startAnvil({
        blockTime: BLOCK_TIME,
        args: ["--gas-price", "0", "--base-fee", "0", "--disable-min-priority-fee"],
      });
      const provider = new SteeredProvider(anvil.url);
      provider.clientVersion = WALL_CLOCK_NODE;
      return provider;
    }

    /** Waits for the next block and returns its timestamp (right after it, the wall clock is ahead of the chain). */
    async function nextBlock(provider: SteeredProvider): Promise<number> {
      const start = await provider.getBlockNumber();
      while ((await provider.getBlockNumber()) === start) await new Promise((r) => setTimeout(r, 100));
      return (await provider.getBlock("latest"))!.timestamp;
    }

    it("anchors a window the wall clock has closed before the latest 5-s block has", async function () {
      const dir = scratchDir("slow-anchor");
      const provider = await slowChain(dir);
      const admin = devAccount(0, provider);
      await provider.send("evm_setAutomine", [true]);
      const { contracts: core } = await deployCore({ signer: admin, network: "slow" });
      const { terminalId, key } = await registerPmu(core, "bt5.pmu");
      await provider.send("evm_setIntervalMining", [BLOCK_TIME]);
      const chainNow = await nextBlock(provider);
      // An event window ending 2 s after the latest block, once the wall clock has passed it.
      const records = [chainNow - 20, chainNow + 2].map((timestamp, i) =>
        parseRecord({ terminalId, kind: 3, timestamp, payload: { trip: i } }, `r${i}`),
      );
      while (Date.now() / 1000 < chainNow + 3) await new Promise((r) => setTimeout(r, 100));
      expect((await provider.getBlock("latest"))!.timestamp).to.equal(chainNow);
      const outcome = await anchorRecords({ core, records, terminalId, dataType: DataType.Event, key });
      expect(outcome.status).to.equal("anchored");
      const block = await provider.getBlock(outcome.blockNumber);
      expect(block!.timestamp).to.be.at.least(chainNow + 2);
      provider.destroy();
    });

    it("runs with 5-s blocks, two confirmations and a zero gas price, the relayer paying nothing", async function () {
      const dir = scratchDir("slow-run");
      const provider = await slowChain(dir);
      const relayer = devAccount(0, provider);
      // Deploy, register the case's terminals and set the backfill policies under automine.
      await provider.send("evm_setAutomine", [true]);
      const loaded = loadCase({ case: "ieee14" });
      const setupJournal = new Journal(join(dir, "setup.sqlite"));
      await setupChain({ signer: relayer, provider, network: "slow", log: () => undefined }, setupJournal, {
        caseName: loaded.name,
        register: scenarioTerminals(loaded.name, loaded.grid, { ...DEFAULT_SCENARIO_OPTIONS }),
        periodSeconds: 900,
        clock: { kind: "simulated", periods: 1 },
      });
      setupJournal.close();
      await provider.send("evm_setIntervalMining", [BLOCK_TIME]);
      const before = await provider.getBalance(relayer.address);
      const started = Date.now();
      const result = await shortRun({
        signer: relayer,
        provider,
        out: join(dir, "runs"),
        periods: 1,
        confirmations: 2,
        network: "slow",
      });
      const core = runCore(result, provider);
      await expectExactlyOnce([result], core);
      expect(result.summary.batches.transactions).to.equal(1);
      expect(await provider.getBalance(relayer.address)).to.equal(before);
      // Two confirmations of 5-s blocks: at least one block interval after the anchoring block.
      expect(Date.now() - started).to.be.greaterThan(BLOCK_TIME * 1000);
      provider.destroy();
    });
  });
});
