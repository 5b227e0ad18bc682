import { expect } from "chai";
import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { SigningKey, Wallet, encryptKeystoreJsonSync, keccak256, toUtf8Bytes } from "ethers";
import { devTerminalWallet } from "../../src/chain/keys";
import { listBatches } from "../../src/chain/streams";
import { GatewayJournal } from "../../src/gateway/inbox";
import { loadZoneGenerators, readZoneGenerators } from "../../src/gateway/zoneGenerators";
import { encodeGridId } from "../../src/pipeline/stages/setup";
import { freePort, startAnvil } from "../../src/devnet/anvil";
import { verifyRecordOnChain } from "../../src/chain/verify";
import type { GatewayHandle } from "../../src/gateway/server";
import { toWire } from "../../src/gateway/wire";
import { parseProofs } from "../../src/chain/proofs";
import { FastMerkleTree, type RecordProof } from "../../src/merkle";
import { signPackage } from "../../src/pipeline/packages";
import {
  expectAccountedFor,
  gatewayOptions,
  getJson,
  journalContracts,
  mqttTerminal,
  nextBoundary,
  onChainRoots,
  postPackage,
  sleep,
  startMosquitto,
  startTestChain,
  startTestGateway,
  stopTestChain,
  terminalFleet,
  useDeploymentsDir,
  waitFor,
  type MqttTerminal,
  type TestChain,
  type WirePackage,
} from "../helpers/gateway";
import { scratchDir } from "../helpers/scenario";

type Fleet = Awaited<ReturnType<typeof terminalFleet>>;

/** Waits for the start of the fleet period after the current one (plus a margin), and returns it. */
async function nextPeriod(fleet: Fleet, periodSeconds: number, startAt: number, marginMs = 150): Promise<number> {
  const period = Math.max(0, fleet.periodNow() + 1);
  const at = (startAt + period * periodSeconds) * 1000 + marginMs;
  await sleep(Math.max(0, at - Date.now()));
  return period;
}

describe("acquisition gateway (grid:serve) against anvil", function () {
  this.timeout(180_000);
  const root = scratchDir("gateway");
  let restoreDeployments: () => void;
  let chain: TestChain | undefined;
  const dataDir = (name: string) => join(root, name);

  before(async function () {
    restoreDeployments = useDeploymentsDir(join(root, "deployments"));
    chain = await startTestChain();
  });
  after(async function () {
    await stopTestChain(chain);
    restoreDeployments();
  });

  context("with the embedded MQTT broker and HTTP", function () {
    const P = 3;
    let gw: GatewayHandle | undefined;
    let terminal: MqttTerminal | undefined;
    after(async function () {
      await terminal?.close();
      await gw?.close();
    });

    it("anchors or quarantines every acknowledged package and serves proofs that verify on-chain", async function () {
      const dir = dataDir("embedded");
      gw = await startTestGateway(chain!, gatewayOptions(dir, { periodSeconds: P, graceSeconds: 1 }));
      const startAt = nextBoundary(P);
      const fleet = await terminalFleet({ chainId: chain!.chainId, periodSeconds: P, startAt, faults: true });
      terminal = await mqttTerminal(
        gw.broker.url,
        fleet.terminals.map((t) => t.terminalId),
      );
      const sent: WirePackage[] = [];
      const viaMqtt: WirePackage[] = [];
      const httpAcked: string[] = [];
      const httpRefused: string[] = [];
      for (let i = 0; i < 2; i++) {
        const period = await nextPeriod(fleet, P, startAt);
        const packages = fleet.packagesOf(period);
        sent.push(...packages);
        await Promise.all(
          packages.map(async (p, j) => {
            if (j % 2 === 0) {
              viaMqtt.push(p);
              await terminal!.publish(p.terminalId, p.body);
              return;
            }
            const r = await postPackage(gw!.httpUrl, p.body);
            if (r.status === 202) {
              expect(r.json.packageId).to.equal(p.packageId);
              httpAcked.push(p.packageId);
            } else httpRefused.push(String(r.json.reason));
          }),
        );
      }
      // A package signed with another key: refused at the door, and listed by /v1/quarantine.
      const victim = fleet.terminals[1].terminalId.toLowerCase();
      const forged = signPackage(
        new SigningKey(`0x${"7".repeat(64)}`),
        chain!.chainId,
        victim,
        (fleet.periodNow() + startAt / P) * P,
        fleet.packagesOf(0)[0].generated.pkg.records.map((r) => ({ ...r, terminalId: victim })),
      );
      const refused = await postPackage(gw.httpUrl, toWire(forged));
      expect(refused.status).to.equal(401);
      expect(refused.json.reason).to.equal("BAD_SIGNATURE");

      await expect(gw.core.settled(60_000)).to.eventually.equal(true);
      const audit = expectAccountedFor(gw.journal, sent);
      const journaled = new Set(audit.packages.map((p) => p.id));
      for (const id of httpAcked) expect(journaled.has(id), `HTTP-acknowledged ${id} journaled`).to.equal(true);
      // Over MQTT a PUBACK means "decided": a refusal arrives on the rejections topic instead of a journal row.
      const mqttRejected = terminal.rejections.length;
      const mqttJournaled = viaMqtt.filter((p) => journaled.has(p.packageId)).length;
      expect(mqttJournaled + mqttRejected).to.equal(viaMqtt.length);
      expect(audit.packages.length).to.equal(httpAcked.length + mqttJournaled);
      expect(audit.counts.anchored).to.be.greaterThan(0);

      // On-chain: the BatchAnchored roots are the journal's confirmed roots, each once.
      const onChain = await onChainRoots(chain!.provider, gw.journal);
      expect(new Set(onChain).size).to.equal(onChain.length);
      expect([...onChain].sort()).to.deep.equal([...audit.confirmedRoots].sort());

      // The read API.
      const health = await getJson<{
        status: string;
        journal: { records: { total: number; anchored: number; quarantined: number } };
        backlog: { records: number };
        broker: { mode: string; up: boolean };
        node: { up: boolean };
      }>(gw.httpUrl, "/v1/health");
      expect(health.status).to.equal("ok");
      expect(health.node.up).to.equal(true);
      expect(health.broker).to.include({ mode: "embedded", up: true });
      expect(health.backlog.records).to.equal(0);
      expect(health.journal.records.anchored + health.journal.records.quarantined).to.equal(
        health.journal.records.total,
      );
      expect(health.journal.records.total).to.equal(audit.counts.total);

      const batches = await getJson<{ root: string; state: string; recordCount: number }[]>(gw.httpUrl, "/v1/batches");
      expect(batches.map((b) => b.root.toLowerCase()).sort()).to.deep.equal([...audit.confirmedRoots].sort());
      expect(batches.every((b) => b.state === "confirmed")).to.equal(true);

      const contracts = journalContracts(chain!.provider, gw.journal);
      for (const b of batches.slice(0, 3)) {
        const batch = await getJson<{ root: string; recordIds: string[]; state: string }>(
          gw.httpUrl,
          `/v1/batches/${b.root}`,
        );
        expect(batch.root.toLowerCase()).to.equal(b.root.toLowerCase());
        expect(batch.recordIds).to.have.length(b.recordCount);
        const id = batch.recordIds[0];
        const rec = await getJson<{
          status: string;
          batch: { root: string };
          proof: RecordProof | null;
          verification: { status: string };
        }>(gw.httpUrl, `/v1/records/${encodeURIComponent(id)}`);
        expect(rec.status).to.equal("anchored");
        expect(rec.batch.root.toLowerCase()).to.equal(b.root.toLowerCase());
        expect(rec.verification.status).to.equal("anchored");
        expect(rec.proof).to.not.equal(null);
        const onChainCheck = await verifyRecordOnChain(contracts, rec.proof!.record, [rec.proof!]);
        expect(onChainCheck.anchored, onChainCheck.reason).to.equal(true);
        // The whole batch's proofs, in the grid:anchor proofs format, derived from the tree stored at close.
        const doc = await getJson<unknown>(gw.httpUrl, `/v1/batches/${b.root}/proofs`);
        const proofs = parseProofs(doc, "GET /v1/batches/:root/proofs");
        expect(proofs).to.have.length(b.recordCount);
        expect(proofs.find((p) => p.leafHash === rec.proof!.leafHash)).to.deep.equal(rec.proof);
        expect(proofs.every((p) => FastMerkleTree.verify(b.root, p.leafHash, p.proof))).to.equal(true);
      }
      const missing = await fetch(new URL("/v1/records/no-such-record", gw.httpUrl));
      expect(missing.status).to.equal(404);

      const terminals = await getJson<{ terminalId: string; active: boolean }[]>(gw.httpUrl, "/v1/terminals");
      const known = new Set(terminals.map((t) => t.terminalId));
      for (const t of fleet.terminals) expect(known.has(t.terminalId.toLowerCase()), t.label).to.equal(true);

      const quarantine = await getJson<{
        records: { terminalId: string; reason: string }[];
        packages: { terminalId: string; reason: string; via: string }[];
      }>(gw.httpUrl, `/v1/quarantine?terminal=${victim}&reason=BAD_SIGNATURE`);
      expect(quarantine.packages).to.have.length.greaterThan(0);
      expect(quarantine.packages.every((p) => p.terminalId === victim && p.reason === "BAD_SIGNATURE")).to.equal(true);
      expect(quarantine.records.every((r) => r.terminalId === victim && r.reason === "BAD_SIGNATURE")).to.equal(true);
      const all = await getJson<{ records: unknown[]; packages: unknown[] }>(gw.httpUrl, "/v1/quarantine");
      expect(all.records).to.have.length(audit.counts.quarantined);

      const openapi = await getJson<{ openapi: string; paths: Record<string, unknown> }>(gw.httpUrl, "/docs/json");
      expect(openapi.openapi).to.match(/^3\./);
      expect(openapi.paths).to.include.keys(
        "/v1/packages",
        "/v1/records/{id}",
        "/v1/batches",
        "/v1/batches/{root}",
        "/v1/batches/{root}/proofs",
        "/v1/terminals",
        "/v1/quarantine",
        "/v1/health",
      );

      const metrics = await (await fetch(new URL("/metrics", gw.httpUrl))).text();
      expect(metrics).to.match(/gridledger_packages_total\{via="mqtt",outcome="accepted",reason=""\} \d+/);
      expect(metrics).to.match(/gridledger_packages_total\{via="http",outcome="accepted",reason=""\} \d+/);
      expect(metrics).to.match(/gridledger_packages_total\{via="http",outcome="rejected",reason="BAD_SIGNATURE"\} 1/);
      expect(metrics).to.match(/gridledger_backlog_records 0/);
      expect(metrics).to.match(/gridledger_records_total\{outcome="anchored"\} [1-9]/);
    });
  });

  context("with --zones 2", function () {
    const P = 3;
    let gw: GatewayHandle | undefined;
    after(async function () {
      await gw?.close();
    });

    it("has each zone's elected generator sign and anchor its zone's batches, and keeps the zones on restart", async function () {
      const dir = dataDir("zones");
      gw = await startTestGateway(chain!, gatewayOptions(dir, { periodSeconds: P, graceSeconds: 1, zones: 2 }));
      const startAt = nextBoundary(P);
      const fleet = await terminalFleet({ chainId: chain!.chainId, periodSeconds: P, startAt });
      const period = await nextPeriod(fleet, P, startAt);
      const sent = fleet.packagesOf(period);
      for (const p of sent) expect((await postPackage(gw.httpUrl, p.body)).status).to.equal(202);
      await expect(gw.core.settled(60_000)).to.eventually.equal(true);
      const audit = expectAccountedFor(gw.journal, sent);
      expect(audit.counts.anchored).to.be.greaterThan(0);

      const plan = gw.journal.getMeta<{ k: number; buses: number[]; busZone: number[] }>("zones")!;
      expect(plan.k).to.equal(2);
      const zoneOfBus = new Map(plan.buses.map((bus, i) => [bus, plan.busZone[i]]));
      const batches = gw.journal.batches({ state: "confirmed" });
      const zones = new Set<number>();
      for (const b of batches) {
        const zone = Number(/-z(\d{3})-/.exec(b.batchKey)![1]);
        zones.add(zone);
        expect(zoneOfBus.get(b.generatorBus), `${b.batchKey} signed by a generator of its zone`).to.equal(zone);
      }
      expect([...zones].sort()).to.deep.equal([0, 1]);
      // The chain is shared with the other contexts: each of this journal's roots is on it exactly once.
      const onChain = await onChainRoots(chain!.provider, gw.journal);
      for (const root of audit.confirmedRoots)
        expect(
          onChain.filter((r) => r === root.toLowerCase()),
          root,
        ).to.have.length(1);
      await gw.close();
      gw = undefined;

      await expect(
        startTestGateway(chain!, gatewayOptions(dir, { periodSeconds: P, graceSeconds: 1, zones: 3 })),
      ).to.be.rejectedWith(/started with --zones 2, now --zones 3/);
    });

    it("refuses --zones together with a fixed --generator", async function () {
      const generator = { terminalId: `0x${"1".repeat(64)}`, privateKey: `0x${"2".repeat(64)}` };
      await expect(
        startTestGateway(chain!, gatewayOptions(dataDir("zones-generator"), { zones: 2, generator })),
      ).to.be.rejectedWith(/--zones elects a generator per zone; it cannot be combined with --generator/);
    });
  });

  context("with --zones 2 and --zone-generators (operator keys, not dev keys)", function () {
    const P = 3;
    let gw: GatewayHandle | undefined;
    after(async function () {
      await gw?.close();
    });

    it("anchors each zone's batches on the stream of the candidate it elects, with proofs that verify on-chain", async function () {
      const dir = dataDir("zone-generators");
      // Off a development chain a zoned gateway will not start without its generators, but it writes the plan.
      await expect(
        startTestGateway(chain!, gatewayOptions(dir, { zones: 2, requireZoneGenerators: true })),
      ).to.be.rejectedWith(/--zones needs --zone-generators .* of the 2 zones .*zone-plan\.json/);
      const plan = JSON.parse(readFileSync(join(dir, "zone-plan.json"), "utf8")) as {
        k: number;
        zones: { zone: number; buses: number[] }[];
      };
      expect(plan.k).to.equal(2);

      // Two generator terminals the operator registered, one per zone, with keys nobody derives from the dev seed.
      const journal = new GatewayJournal(join(dir, "journal.sqlite"));
      const core = journalContracts(chain!.provider, journal).registry.connect(chain!.signer);
      journal.close();
      // A third terminal is a second candidate of zone 0, at another of its buses.
      const wallets = [Wallet.createRandom(), Wallet.createRandom(), Wallet.createRandom()];
      const ids = [0, 1, 2].map((i) => keccak256(toUtf8Bytes(`zone-generators-test.t${i}.${Date.now()}`)));
      for (const [i, [zone, bus]] of [
        [0, 0],
        [1, 0],
        [0, 1],
      ].entries()) {
        expect(wallets[i].address).to.not.equal(devTerminalWallet(ids[i]).address);
        const location = {
          gridId: encodeGridId("ieee14"),
          bus: plan.zones[zone].buses[bus],
          geohash: `0x${"00".repeat(12)}`,
        };
        await (await core.register(ids[i], wallets[i].address, 4, location, "zone generator")).wait();
      }
      // Zone 0's key from the environment, zone 1's from an encrypted keystore (password from the environment).
      const keystore = encryptKeystoreJsonSync(
        { address: wallets[1].address, privateKey: wallets[1].privateKey },
        "s3cret",
        { scrypt: { N: 1 << 10 } },
      );
      writeFileSync(join(dir, "zone1.keystore.json"), keystore);
      const file = join(dir, "zone-generators.json");
      const env: Record<string, string> = {
        ZONE0_KEY: wallets[0].privateKey,
        ZONE0_SPARE_KEY: wallets[2].privateKey,
        ZONE1_PASSWORD: "s3cret",
      };
      const source = { var: () => undefined, env: (name: string) => env[name] };
      const write = (generators: unknown[]) => writeFileSync(file, JSON.stringify({ generators }));
      const zone0 = { zone: 0, terminal: ids[0], key: { env: "ZONE0_KEY" } };
      const zone1 = {
        zone: 1,
        terminal: ids[1],
        key: { keystore: "zone1.keystore.json", passwordEnv: "ZONE1_PASSWORD" },
      };
      const configured = () => ({ file, generators: loadZoneGenerators(readZoneGenerators(file), file, source) });

      // Swapped terminals: each sits in the other zone and holds the other key.
      write([
        { ...zone0, terminal: ids[1] },
        { ...zone1, terminal: ids[0] },
      ]);
      await expect(
        startTestGateway(chain!, gatewayOptions(dir, { zones: 2, zoneGenerators: configured() })),
      ).to.be.rejectedWith(
        new RegExp(
          `zone 0: generator terminal ${ids[1]}: the key from environment variable ZONE0_KEY is ${wallets[0].address}, but the registry's current signer is ${wallets[1].address}[^]*zone 0: generator terminal ${ids[1]} sits at bus ${plan.zones[1].buses[0]}, which is in zone 1`,
        ),
      );
      write([zone0]);
      await expect(
        startTestGateway(chain!, gatewayOptions(dir, { zones: 2, zoneGenerators: configured() })),
      ).to.be.rejectedWith(/zone 1 has no generator/);

      // Zone 0 elects among two candidates every period; a third, whose key is not set, is skipped at start.
      const spare = keccak256(toUtf8Bytes("zone-generators-test.unkeyed"));
      write([
        {
          zone: 0,
          candidates: [
            { terminal: spare, key: { env: "ZONE0_UNSET_KEY" } },
            { terminal: ids[0], key: zone0.key },
            { terminal: ids[2], key: { env: "ZONE0_SPARE_KEY" } },
          ],
        },
        zone1,
      ]);
      const skipped: string[] = [];
      const loaded = loadZoneGenerators(readZoneGenerators(file), file, source, (line) => skipped.push(line));
      expect(skipped).to.deep.equal([
        `--zone-generators ${file}: zone 0 (terminal ${spare}): environment variable ZONE0_UNSET_KEY is not set: candidate skipped`,
      ]);
      gw = await startTestGateway(
        chain!,
        gatewayOptions(dir, {
          periodSeconds: P,
          graceSeconds: 1,
          zones: 2,
          zoneGenerators: { file, generators: loaded },
        }),
      );
      const startAt = nextBoundary(P);
      const fleet = await terminalFleet({ chainId: chain!.chainId, periodSeconds: P, startAt });
      const period = await nextPeriod(fleet, P, startAt);
      const sent = fleet.packagesOf(period);
      for (const p of sent) expect((await postPackage(gw.httpUrl, p.body)).status).to.equal(202);
      await expect(gw.core.settled(60_000)).to.eventually.equal(true);
      const audit = expectAccountedFor(gw.journal, sent);
      expect(audit.counts.anchored).to.be.greaterThan(0);

      const contracts = journalContracts(chain!.provider, gw.journal);
      const batches = gw.journal.batches({ state: "confirmed" });
      const generatorsOf = [[ids[0], ids[2]], [ids[1]]];
      for (const z of [0, 1]) {
        const ofZone = batches.filter((b) => Number(/-z(\d{3})-/.exec(b.batchKey)![1]) === z);
        expect(ofZone, `zone ${z} anchored batches`).to.not.have.length(0);
        for (const b of ofZone) expect(generatorsOf[z], b.batchKey).to.include(b.terminalId.toLowerCase());
        // On-chain, the zone's roots are exactly its generators' streams, each batch on the one its journal names.
        const streams = await Promise.all(
          generatorsOf[z].map((terminalId) => listBatches(contracts.acquisition, { terminalId })),
        );
        expect(
          streams
            .flat()
            .map((s) => `${s.terminalId}:${s.merkleRoot}`.toLowerCase())
            .sort(),
        ).to.deep.equal(ofZone.map((b) => `${b.terminalId}:${b.root}`.toLowerCase()).sort());
        const batch = await getJson<{ recordIds: string[]; terminalId: string }>(
          gw.httpUrl,
          `/v1/batches/${ofZone[0].root}`,
        );
        expect(batch.terminalId.toLowerCase()).to.equal(ofZone[0].terminalId.toLowerCase());
        const rec = await getJson<{ proof: RecordProof }>(
          gw.httpUrl,
          `/v1/records/${encodeURIComponent(batch.recordIds[0])}`,
        );
        const verdict = await verifyRecordOnChain(contracts, rec.proof.record, [rec.proof]);
        expect(verdict.anchored, verdict.reason).to.equal(true);
      }
    });
  });

  context("with Mosquitto as external broker (--mqtt-url)", function () {
    const P = 4;
    let mosquitto: Awaited<ReturnType<typeof startMosquitto>> | undefined;
    let gw: GatewayHandle | undefined;
    let terminal: MqttTerminal | undefined;
    after(async function () {
      await terminal?.close();
      await gw?.close();
      await mosquitto?.stop();
    });

    it("journals and anchors what terminals publish, and loses nothing queued while the gateway restarts", async function () {
      const dir = dataDir("mosquitto");
      mosquitto = await startMosquitto(scratchDir("mosquitto"), await freePort());
      const opts = gatewayOptions(dir, {
        periodSeconds: P,
        // Room for the restart below on a busy machine: the queued period must still be open when it ends.
        graceSeconds: 10,
        mqttUrl: mosquitto.url,
        mqttClientId: "gridledger-gateway-e2e",
      });
      gw = await startTestGateway(chain!, opts);
      expect(gw.broker).to.include({ mode: "external", url: mosquitto.url });
      const startAt = nextBoundary(P);
      const fleet = await terminalFleet({ chainId: chain!.chainId, periodSeconds: P, startAt });
      terminal = await mqttTerminal(
        mosquitto.url,
        fleet.terminals.map((t) => t.terminalId),
      );
      const journaled = (ps: readonly WirePackage[]) => ps.every((p) => gw!.journal.hasPackage(p.packageId));

      // Live: what terminals publish to Mosquitto reaches the gateway's journal.
      const first = fleet.packagesOf(await nextPeriod(fleet, P, startAt));
      await Promise.all(first.map((p) => terminal!.publish(p.terminalId, p.body)));
      expect(await waitFor(() => journaled(first), 10_000), "first period journaled").to.equal(true);

      // The gateway stops; its persistent session keeps what terminals publish meanwhile at Mosquitto.
      await gw.close();
      gw = undefined;
      const queued = fleet.packagesOf(await nextPeriod(fleet, P, startAt));
      await Promise.all(queued.map((p) => terminal!.publish(p.terminalId, p.body)));
      // A terminal that did not see its PUBACK sends again: the same package id, journaled once.
      await terminal.publish(queued[0].terminalId, queued[0].body);

      gw = await startTestGateway(chain!, opts);
      expect(
        await waitFor(() => journaled(queued), 15_000),
        `queued packages journaled after the restart (refusals: ${JSON.stringify(terminal.rejections)})`,
      ).to.equal(true);
      await expect(gw.core.settled(60_000)).to.eventually.equal(true);
      const sent = [...first, ...queued];
      const audit = expectAccountedFor(gw.journal, sent);
      expect(audit.packages.map((p) => p.id).sort()).to.deep.equal(sent.map((p) => p.packageId).sort());
      expect(terminal.rejections).to.deep.equal([]);
      const onChain = await onChainRoots(chain!.provider, gw.journal);
      for (const r of audit.confirmedRoots) expect(onChain.filter((x) => x === r)).to.have.length(1);
      const health = await getJson<{ broker: { mode: string; up: boolean } }>(gw.httpUrl, "/v1/health");
      expect(health.broker).to.include({ mode: "external", up: true });
    });
  });
});

describe("acquisition gateway when the node is down", function () {
  this.timeout(180_000);
  const P = 3;
  const root = scratchDir("gateway-outage");
  let restoreDeployments: () => void;
  let chain: TestChain | undefined;
  let gw: GatewayHandle | undefined;
  let terminal: MqttTerminal | undefined;
  const stateFile = join(root, "anvil-state.json");
  before(async function () {
    restoreDeployments = useDeploymentsDir(join(root, "deployments"));
    chain = await startTestChain({ stateFile });
  });
  after(async function () {
    await terminal?.close();
    await gw?.close();
    await stopTestChain(chain);
    restoreDeployments();
  });

  it("acknowledges up to --max-backlog, then answers back-pressure, and catches up with no loss", async function () {
    const startAt = nextBoundary(P);
    const fleet = await terminalFleet({ chainId: chain!.chainId, periodSeconds: P, startAt });
    const perPeriod = fleet.packagesOf(0).reduce((n, p) => n + p.records, 0);
    const maxBacklog = Math.ceil(perPeriod / 2);
    gw = await startTestGateway(
      chain!,
      gatewayOptions(join(root, "data"), { periodSeconds: P, graceSeconds: 1, maxBacklogRecords: maxBacklog }),
    );
    terminal = await mqttTerminal(gw.broker.url, []);
    const acked: WirePackage[] = [];
    const sent: WirePackage[] = [];
    const quota = { http: 0, mqtt: 0 };
    /**
     * Sends a period's packages one by one, alternating HTTP and MQTT, and sorts them into acknowledged and refused.
     * An MQTT refusal follows its PUBACK on the terminal's rejections topic; one package per terminal per call keeps
     * the match unambiguous.
     */
    const send = async (packages: readonly WirePackage[]) => {
      const before = terminal!.rejections.length;
      const published: WirePackage[] = [];
      for (const [i, p] of packages.entries()) {
        sent.push(p);
        if (i % 2 === 1) {
          await terminal!.publish(p.terminalId, p.body);
          published.push(p);
          continue;
        }
        const r = await postPackage(gw!.httpUrl, p.body);
        if (r.status === 202) acked.push(p);
        else {
          expect(r.status, JSON.stringify(r.json)).to.equal(503);
          expect(r.json.reason).to.equal("QUOTA_EXCEEDED");
          expect(Number(r.retryAfter)).to.be.greaterThan(0);
          quota.http++;
        }
      }
      await sleep(1_000);
      const refused = terminal!.rejections.slice(before);
      for (const m of refused) expect(m.reason).to.equal("QUOTA_EXCEEDED");
      quota.mqtt += refused.length;
      acked.push(...published.filter((p) => !refused.some((m) => m.topic.includes(p.terminalId))));
    };

    // Node up: a few packages are anchored as usual.
    await send(fleet.packagesOf(await nextPeriod(fleet, P, startAt)).slice(0, 2));
    expect(acked).to.have.length(2);
    await expect(gw.core.settled(30_000)).to.eventually.equal(true);

    // Node down: intake goes on up to the bound, then back-pressure on both transports.
    await chain!.anvil.stop();
    await send(fleet.packagesOf(await nextPeriod(fleet, P, startAt)));
    await send(fleet.packagesOf(await nextPeriod(fleet, P, startAt)));
    expect(quota.http, "HTTP 503 QUOTA_EXCEEDED").to.be.greaterThan(0);
    expect(quota.mqtt, "MQTT QUOTA_EXCEEDED").to.be.greaterThan(0);
    expect(acked.length).to.be.greaterThan(2);
    expect(
      await waitFor(async () => (await fetch(new URL("/v1/health", gw!.httpUrl))).status === 503, 15_000),
      "health degraded while the node is down",
    ).to.equal(true);
    const down = (await (await fetch(new URL("/v1/health", gw.httpUrl))).json()) as {
      status: string;
      node: { up: boolean };
      backlog: { records: number; max: number };
    };
    expect(down.status).to.equal("degraded");
    expect(down.node.up).to.equal(false);
    expect(down.backlog.records).to.be.greaterThan(0).and.at.most(maxBacklog);

    // Node back (same chain state): the gateway catches up by itself.
    chain!.anvil = await startAnvil({ port: chain!.anvil.port, stateFile });
    const recovered = await waitFor(
      async () => {
        const res = await fetch(new URL("/v1/health", gw!.httpUrl));
        const h = (await res.json()) as { status: string; backlog: { records: number } };
        return h.status === "ok" && h.backlog.records === 0;
      },
      60_000,
      250,
    );
    expect(recovered, "health ok and backlog 0 after the node returns").to.equal(true);
    await expect(gw.core.settled(30_000)).to.eventually.equal(true);
    const audit = expectAccountedFor(gw.journal, sent);
    expect(audit.packages.map((p) => p.id).sort()).to.deep.equal(acked.map((p) => p.packageId).sort());
    const onChain = await onChainRoots(chain!.provider, gw.journal);
    expect(new Set(onChain).size).to.equal(onChain.length);
    expect([...onChain].sort()).to.deep.equal([...audit.confirmedRoots].sort());

    // Room again: a package refused for quota is taken now.
    const next = fleet.packagesOf(await nextPeriod(fleet, P, startAt))[0];
    const retried = await postPackage(gw.httpUrl, next.body);
    expect(retried.status, JSON.stringify(retried.json)).to.equal(202);
  });
});
