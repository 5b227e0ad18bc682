import { expect } from "chai";
import { join } from "node:path";
import { SigningKey, Wallet } from "ethers";
import { connectCore } from "../../src/chain/contracts";
import { TerminalKind } from "../../src/chain/types";
import type { GatewayHandle } from "../../src/gateway/server";
import {
  MAX_PACKAGE_BYTES,
  packagesTopic,
  REJECTION_STATUS,
  toWire,
  type RejectionReason,
} from "../../src/gateway/wire";
import type { GridRecord } from "../../src/merkle";
import { packageDigest, signPackage } from "../../src/pipeline/packages";
import {
  gatewayOptions,
  getJson,
  journalAudit,
  mqttTerminal,
  nextBoundary,
  postPackage,
  sleep,
  startTestChain,
  startTestGateway,
  stopTestChain,
  terminalFleet,
  useDeploymentsDir,
  waitFor,
  type MqttTerminal,
  type TestChain,
} from "../helpers/gateway";
import { scratchDir } from "../helpers/scenario";

type Fleet = Awaited<ReturnType<typeof terminalFleet>>;

describe("acquisition gateway: bad input", function () {
  this.timeout(120_000);
  const P = 3;
  const REGISTRY_REFRESH_SECONDS = 1;
  const root = scratchDir("gateway-bad");
  let restoreDeployments: () => void;
  let chain: TestChain | undefined;
  let gw: GatewayHandle | undefined;
  let terminal: MqttTerminal | undefined;
  let fleet: Fleet;
  let startAt: number;
  /** Terminal A sends the bad input; good packages come from the others, right after. */
  let a: { terminalId: string; key: SigningKey };
  const goodSent: string[] = [];
  const used = new Set<string>();

  const periodStartNow = () => startAt + fleet.periodNow() * P;
  const sign = (key: SigningKey, terminalId: string, periodStart: number, records: GridRecord[]) =>
    signPackage(key, chain!.chainId, terminalId, periodStart, records);
  /** A's clean records of the current period, renamed so each call is new (never a replay). */
  let renames = 0;
  const freshRecordsOfA = (): GridRecord[] => {
    const p = fleet.periodNow();
    const own = fleet.packagesOf(p).find((g) => g.terminalId === a.terminalId)!;
    renames++;
    return own.generated.pkg.records.map((r) => ({
      ...r,
      payload: {
        ...(r.payload as object),
        recordId: `bad-${renames}/${String((r.payload as { recordId: string }).recordId)}`,
      },
    }));
  };

  /** One good package (one unused record of another terminal, current period), sent over `via`; expects an ack. */
  async function sendGood(via: "mqtt" | "http") {
    const period = fleet.periodNow();
    for (const g of fleet.packagesOf(period)) {
      if (g.terminalId === a.terminalId) continue;
      const i = g.generated.terminal;
      const record = g.generated.pkg.records.find((r) => !used.has(JSON.stringify(r)));
      if (!record) continue;
      used.add(JSON.stringify(record));
      const pkg = sign(fleet.keys[i], g.terminalId, startAt + period * P, [record]);
      const id = packageDigest(chain!.chainId, pkg);
      if (via === "http") {
        const r = await postPackage(gw!.httpUrl, toWire(pkg));
        expect(r.status, JSON.stringify(r.json)).to.equal(202);
        expect(r.json.packageId).to.equal(id);
      } else {
        const before = terminal!.rejections.length;
        await terminal!.publish(g.terminalId, toWire(pkg));
        await sleep(50);
        expect(terminal!.rejections.slice(before).filter((m) => m.topic.includes(g.terminalId))).to.deep.equal([]);
      }
      goodSent.push(id);
      return;
    }
    throw new Error(`no unused record left in period ${period}`);
  }

  const registry = () => {
    const addresses = gw!.journal.getMeta<{ contracts: Record<string, string> }>("chain")!.contracts;
    return connectCore({ registry: addresses.TerminalRegistry, acquisition: addresses.DataAcquisition }, chain!.signer)
      .registry;
  };
  /**
   * Sends an admin transaction from the dev account, which the gateway also anchors from: when both pick the same
   * nonce at once the node refuses one ("nonce too low"), and the admin action is simply sent again.
   */
  const admin = async (send: () => Promise<{ wait: () => Promise<unknown> }>) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await (await send()).wait();
      } catch (e) {
        const clash = /nonce (too low|has already been used)|replacement/i.test((e as Error).message);
        if (!clash || attempt === 5) throw e;
        await sleep(200);
      }
    }
  };
  const registerTerminal = async (terminalId: string, signer: string) => {
    const location = { gridId: `0x${"00".repeat(32)}`, bus: 1, geohash: `0x${"00".repeat(12)}` };
    await admin(() => registry().register(terminalId, signer, TerminalKind.PMU, location, "test"));
  };

  /** Posts a body and expects the documented refusal: the reason's status and a {reason, detail} body. */
  async function expectHttpRefusal(body: string | Buffer, reason: RejectionReason, contentType?: string) {
    const r = await postPackage(gw!.httpUrl, body, contentType);
    expect(r.status, JSON.stringify(r.json).slice(0, 300)).to.equal(REJECTION_STATUS[reason]);
    expect(r.json.reason).to.equal(reason);
    expect(r.json.detail).to.be.a("string").and.not.equal("");
    if (REJECTION_STATUS[reason] === 503) expect(Number(r.retryAfter)).to.be.greaterThan(0);
    await sendGood("http");
    return r;
  }

  /** Publishes over MQTT and expects the refusal on the rejections topic of `answeredTo`. */
  async function expectMqttRefusal(
    topic: string,
    payload: string | Buffer,
    reason: RejectionReason,
    answeredTo: string,
  ) {
    const before = terminal!.rejections.length;
    await terminal!.publish("", payload, topic);
    const heard = await terminal!.waitRejections(before + 1);
    const m = heard[before];
    expect(m, `a refusal for ${topic}`).to.not.equal(undefined);
    expect(m.topic).to.equal(`gridledger/v1/${answeredTo}/rejections`);
    expect(m.reason).to.equal(reason);
    expect(m.detail).to.be.a("string").and.not.equal("");
    await sendGood("mqtt");
    return m;
  }

  before(async function () {
    restoreDeployments = useDeploymentsDir(join(root, "deployments"));
    chain = await startTestChain();
    gw = await startTestGateway(
      chain,
      gatewayOptions(join(root, "data"), {
        periodSeconds: P,
        graceSeconds: 1,
        registryRefreshSeconds: REGISTRY_REFRESH_SECONDS,
      }),
    );
    startAt = nextBoundary(P) - 10 * P;
    fleet = await terminalFleet({ chainId: chain.chainId, periodSeconds: P, startAt });
    a = { terminalId: fleet.terminals[0].terminalId.toLowerCase(), key: fleet.keys[0] };
    terminal = await mqttTerminal(gw.broker.url, []);
  });
  after(async function () {
    await terminal?.close();
    await gw?.close();
    await stopTestChain(chain);
    restoreDeployments();
  });

  describe("over HTTP", function () {
    it("answers 400 NOT_JSON for a body that is not JSON, and for an empty body", async function () {
      expect((await expectHttpRefusal("{not json", "NOT_JSON")).json.packageId).to.equal(null);
      await expectHttpRefusal("", "NOT_JSON");
    });

    it("answers 400 SCHEMA naming the field for a package of the wrong shape", async function () {
      const pkg = sign(a.key, a.terminalId, periodStartNow(), freshRecordsOfA());
      const r = await expectHttpRefusal(JSON.stringify({ ...JSON.parse(toWire(pkg)), periodStart: "now" }), "SCHEMA");
      expect(r.json.detail).to.contain("periodStart");
      const array = await expectHttpRefusal("[1, 2]", "SCHEMA");
      expect(array.json.detail).to.contain("POST /v1/packages");
    });

    it("answers 413 TOO_LARGE for a body over 1 MiB, and over the HTTP body limit", async function () {
      await expectHttpRefusal(Buffer.alloc(MAX_PACKAGE_BYTES + 10, 0x20), "TOO_LARGE");
      await expectHttpRefusal(Buffer.alloc(3 * MAX_PACKAGE_BYTES, 0x20), "TOO_LARGE");
    });

    it("answers 400 NOT_JSON for a body that is not application/json", async function () {
      const pkg = sign(a.key, a.terminalId, periodStartNow(), freshRecordsOfA());
      const r = await expectHttpRefusal(toWire(pkg), "NOT_JSON", "text/plain");
      expect(r.json.detail).to.contain("application/json");
    });

    it("answers 403 UNKNOWN_TERMINAL for a terminal the registry does not have", async function () {
      const stranger = `0x${"5e".repeat(32)}`;
      const records = freshRecordsOfA().map((r) => ({ ...r, terminalId: stranger }));
      await expectHttpRefusal(
        toWire(sign(new SigningKey(`0x${"42".repeat(32)}`), stranger, periodStartNow(), records)),
        "UNKNOWN_TERMINAL",
      );
    });

    it("answers 403 TERMINAL_NOT_ACTIVE for a suspended terminal", async function () {
      const suspended = `0x${"5d".repeat(32)}`;
      const key = Wallet.createRandom();
      await registerTerminal(suspended, key.address);
      await admin(() => registry().suspend(suspended));
      const records = freshRecordsOfA().map((r) => ({ ...r, terminalId: suspended }));
      await expectHttpRefusal(
        toWire(sign(key.signingKey, suspended, periodStartNow(), records)),
        "TERMINAL_NOT_ACTIVE",
      );
    });

    context("when the registry changes after the gateway has read a terminal", function () {
      it("takes the rotated key, then refuses the suspended terminal with TERMINAL_NOT_ACTIVE", async function () {
        const terminalId = `0x${"5b".repeat(32)}`;
        const [k1, k2] = [Wallet.createRandom(), Wallet.createRandom()];
        await registerTerminal(terminalId, k1.address);
        const send = (key: { signingKey: SigningKey }) =>
          postPackage(
            gw!.httpUrl,
            toWire(
              sign(
                key.signingKey,
                terminalId,
                periodStartNow(),
                freshRecordsOfA().map((r) => ({ ...r, terminalId })),
              ),
            ),
          );
        const first = await send(k1);
        expect(first.status, JSON.stringify(first.json)).to.equal(202);
        goodSent.push(String(first.json.packageId));
        await admin(() => registry().rotateSigner(terminalId, k2.address));
        // The gateway trusts what it read for the refresh time: wait that out, then for the next period, which is
        // wholly under the new key (waiting only for the period failed when the first send came late in one).
        await sleep(REGISTRY_REFRESH_SECONDS * 1000 + 100);
        await sleep((periodStartNow() + P - Date.now() / 1000) * 1000 + 200);
        const rotated = await send(k2);
        expect(rotated.status, JSON.stringify(rotated.json)).to.equal(202);
        goodSent.push(String(rotated.json.packageId));
        await admin(() => registry().suspend(terminalId));
        await sleep(REGISTRY_REFRESH_SECONDS * 1000 + 100);
        await expectHttpRefusal(
          toWire(
            sign(
              k2.signingKey,
              terminalId,
              periodStartNow(),
              freshRecordsOfA().map((r) => ({ ...r, terminalId })),
            ),
          ),
          "TERMINAL_NOT_ACTIVE",
        );
      });
    });

    it("answers 401 BAD_SIGNATURE for a package signed with another key, naming the package", async function () {
      const pkg = sign(new SigningKey(`0x${"43".repeat(32)}`), a.terminalId, periodStartNow(), freshRecordsOfA());
      const r = await expectHttpRefusal(toWire(pkg), "BAD_SIGNATURE");
      const id = packageDigest(chain!.chainId, pkg);
      expect(r.json.packageId).to.equal(id);
      expect(gw!.journal.rejections({ reason: "BAD_SIGNATURE" }).map((j) => j.packageId)).to.include(id);
    });

    it("answers 409 REPLAY for records already accepted, and 202 duplicate for the same package again", async function () {
      const records = freshRecordsOfA();
      const first = toWire(sign(a.key, a.terminalId, periodStartNow(), records));
      const accepted = await postPackage(gw!.httpUrl, first);
      expect(accepted.status).to.equal(202);
      goodSent.push(String(accepted.json.packageId));
      const again = await postPackage(gw!.httpUrl, first);
      expect(again.status).to.equal(202);
      expect(again.json).to.include({ packageId: accepted.json.packageId, duplicate: true });
      // Once its period is closed, the same records under a later period are a replay.
      const period = Number(accepted.json.period);
      expect(await waitFor(() => gw!.core.health().closedThrough >= period, 15_000)).to.equal(true);
      await expectHttpRefusal(toWire(sign(a.key, a.terminalId, periodStartNow(), records)), "REPLAY");
    });

    it("answers 422 BAD_PERIOD, STALE_TIMESTAMP and FUTURE_TIMESTAMP for periods off the gateway's clock", async function () {
      await expectHttpRefusal(toWire(sign(a.key, a.terminalId, periodStartNow() + 1, freshRecordsOfA())), "BAD_PERIOD");
      await expectHttpRefusal(
        toWire(sign(a.key, a.terminalId, periodStartNow() - 2 * P, freshRecordsOfA())),
        "STALE_TIMESTAMP",
      );
      await expectHttpRefusal(
        toWire(sign(a.key, a.terminalId, periodStartNow() + 100 * P, freshRecordsOfA())),
        "FUTURE_TIMESTAMP",
      );
    });
  });

  describe("over MQTT", function () {
    const topicOfA = () => packagesTopic(a.terminalId);

    it("answers NOT_JSON and SCHEMA (naming the field) on the terminal's rejections topic", async function () {
      expect((await expectMqttRefusal(topicOfA(), "not json at all", "NOT_JSON", a.terminalId)).packageId).to.equal(
        null,
      );
      const m = await expectMqttRefusal(
        topicOfA(),
        JSON.stringify({ terminalId: a.terminalId }),
        "SCHEMA",
        a.terminalId,
      );
      expect(m.detail).to.contain("periodStart");
    });

    it("answers TOO_LARGE for a payload over 1 MiB", async function () {
      await expectMqttRefusal(topicOfA(), Buffer.alloc(MAX_PACKAGE_BYTES + 10, 0x20), "TOO_LARGE", a.terminalId);
    });

    it("answers WRONG_TOPIC on the topic's terminal for a package published under another terminal's topic", async function () {
      const other = fleet.terminals[2].terminalId.toLowerCase();
      const pkg = sign(a.key, a.terminalId, periodStartNow(), freshRecordsOfA());
      await expectMqttRefusal(packagesTopic(other), toWire(pkg), "WRONG_TOPIC", other);
    });

    it("answers WRONG_TOPIC for a publish to a terminal topic that is not its packages topic", async function () {
      const pkg = sign(a.key, a.terminalId, periodStartNow(), freshRecordsOfA());
      await expectMqttRefusal(`gridledger/v1/${a.terminalId}/status`, toWire(pkg), "WRONG_TOPIC", a.terminalId);
    });

    it("answers BAD_SIGNATURE, BAD_PERIOD, STALE_TIMESTAMP, FUTURE_TIMESTAMP and UNKNOWN_TERMINAL", async function () {
      const wrongKey = new SigningKey(`0x${"44".repeat(32)}`);
      const forged = sign(wrongKey, a.terminalId, periodStartNow(), freshRecordsOfA());
      const m = await expectMqttRefusal(topicOfA(), toWire(forged), "BAD_SIGNATURE", a.terminalId);
      expect(m.packageId).to.equal(packageDigest(chain!.chainId, forged));
      await expectMqttRefusal(
        topicOfA(),
        toWire(sign(a.key, a.terminalId, periodStartNow() + 1, freshRecordsOfA())),
        "BAD_PERIOD",
        a.terminalId,
      );
      await expectMqttRefusal(
        topicOfA(),
        toWire(sign(a.key, a.terminalId, periodStartNow() - 2 * P, freshRecordsOfA())),
        "STALE_TIMESTAMP",
        a.terminalId,
      );
      await expectMqttRefusal(
        topicOfA(),
        toWire(sign(a.key, a.terminalId, periodStartNow() + 100 * P, freshRecordsOfA())),
        "FUTURE_TIMESTAMP",
        a.terminalId,
      );
      const stranger = `0x${"5c".repeat(32)}`;
      const records = freshRecordsOfA().map((r) => ({ ...r, terminalId: stranger }));
      await expectMqttRefusal(
        packagesTopic(stranger),
        toWire(sign(wrongKey, stranger, periodStartNow(), records)),
        "UNKNOWN_TERMINAL",
        stranger,
      );
    });

    it("refuses a publish outside the gateway's topics without affecting other terminals", async function () {
      const stray = await mqttTerminal(gw!.broker.url, []);
      await Promise.race([stray.publish("", "hello", "somewhere/else").catch(() => undefined), sleep(1_000)]);
      await stray.close();
      await sendGood("mqtt");
      await sendGood("http");
    });
  });

  describe("afterwards", function () {
    it("has journaled every refusal and anchored every good package; the gateway is healthy", async function () {
      await expect(gw!.core.settled(30_000)).to.eventually.equal(true);
      const audit = journalAudit(gw!.journal);
      const processed = new Map(audit.packages.map((p) => [p.id, p.processed]));
      for (const id of goodSent) expect(processed.get(id), `good package ${id}`).to.equal(1);
      expect(audit.packages).to.have.length(goodSent.length);
      expect(audit.counts.pending).to.equal(0);
      expect(audit.counts.anchored).to.be.greaterThan(0);
      const health = await getJson<{ status: string }>(gw!.httpUrl, "/v1/health");
      expect(health.status).to.equal("ok");
      const refused = gw!.journal.rejections();
      const reasons = new Set<string>(refused.map((r) => r.reason));
      for (const reason of Object.keys(REJECTION_STATUS))
        if (reason !== "QUOTA_EXCEEDED" && reason !== "SHUTTING_DOWN")
          expect(reasons.has(reason), `a ${reason} refusal journaled`).to.equal(true);
    });

    it("answers 503 SHUTTING_DOWN with Retry-After over HTTP and on the rejections topic while draining", async function () {
      await gw!.core.drain(1_000);
      const r = await postPackage(gw!.httpUrl, toWire(sign(a.key, a.terminalId, periodStartNow(), freshRecordsOfA())));
      expect(r.status).to.equal(503);
      expect(r.json.reason).to.equal("SHUTTING_DOWN");
      expect(Number(r.retryAfter)).to.be.greaterThan(0);
      const before = terminal!.rejections.length;
      await terminal!.publish(a.terminalId, toWire(sign(a.key, a.terminalId, periodStartNow(), freshRecordsOfA())));
      const heard = await terminal!.waitRejections(before + 1);
      expect(heard[before]).to.include({ reason: "SHUTTING_DOWN" });
    });
  });
});
