import { expect } from "chai";
import { join } from "node:path";
import { freePort } from "../../src/devnet/anvil";
import { GatewayJournal } from "../../src/gateway/inbox";
import {
  expectAccountedFor,
  gatewayOptions,
  getJson,
  killHard,
  mqttTerminal,
  nextBoundary,
  onChainRoots,
  postPackage,
  sleep,
  spawnGateway,
  startTestChain,
  stopProcess,
  stopTestChain,
  terminalFleet,
  useDeploymentsDir,
  waitFor,
  type GatewayProcess,
  type MqttTerminal,
  type TestChain,
  type WirePackage,
} from "../helpers/gateway";
import { scratchDir } from "../helpers/scenario";

/** Resolves true when `p` settles as fulfilled within `ms`, false otherwise (never rejects). */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([
    p.then(
      () => true,
      () => false,
    ),
    sleep(ms).then(() => false),
  ]);
}

describe("acquisition gateway killed with SIGKILL while terminals publish", function () {
  this.timeout(300_000);
  const P = 3;
  const root = scratchDir("gateway-crash");
  const deployments = join(root, "deployments");
  let restoreDeployments: () => void;
  let chain: TestChain | undefined;
  let gateway: GatewayProcess | undefined;
  let terminal: MqttTerminal | undefined;
  before(async function () {
    restoreDeployments = useDeploymentsDir(deployments);
    chain = await startTestChain();
  });
  after(async function () {
    await terminal?.close();
    await stopProcess(gateway?.child);
    await stopTestChain(chain);
    restoreDeployments();
  });

  it("keeps every acknowledged package exactly once, claims nothing unsent and anchors no root twice", async function () {
    const dataDir = join(root, "data");
    const opts = gatewayOptions(dataDir, {
      periodSeconds: P,
      // Packages resent after the restart mostly still find their period open (the restart takes seconds).
      graceSeconds: 15,
      httpPort: await freePort(),
      mqttPort: await freePort(),
    });
    gateway = await spawnGateway(chain!.anvil.url, opts, deployments);
    const httpUrl = gateway.http;
    const startAt = nextBoundary(P);
    const fleet = await terminalFleet({ chainId: chain!.chainId, periodSeconds: P, startAt });
    // mqtt.js resends unacknowledged QoS 1 publishes when it reconnects (to the restarted gateway).
    terminal = await mqttTerminal(gateway.mqtt, [], { reconnectPeriod: 200 });

    const sent = new Map<string, WirePackage>();
    const acked = new Map<string, "mqtt" | "http">();
    const inflight: Promise<unknown>[] = [];
    /** When each acknowledged package was sent and acknowledged (for failure messages). */
    const times = new Map<string, [number, number]>();
    let killedAt = 0;
    const info = (id: string) =>
      `${acked.get(id)} sent ${times.get(id)![0] - killedAt} ms, acked ${times.get(id)![1] - killedAt} ms after the kill`;
    let running = true;
    let lastPeriod = -1;
    const publisher = (async () => {
      for (let period = fleet.periodNow() + 1; running; period++) {
        await sleep(Math.max(0, (startAt + period * P) * 1000 + 100 - Date.now()));
        const packages = fleet.packagesOf(period);
        lastPeriod = period;
        for (const [i, p] of packages.entries()) {
          if (!running) break;
          sent.set(p.packageId, p);
          const ack =
            i % 2 === 0
              ? terminal!.publish(p.terminalId, p.body)
              : postPackage(httpUrl, p.body).then((r) => {
                  if (r.status !== 202) throw new Error(`${r.status} ${JSON.stringify(r.json)}`);
                });
          const sentAt = Date.now();
          inflight.push(
            ack
              .then(() => {
                acked.set(p.packageId, i % 2 === 0 ? "mqtt" : "http");
                times.set(p.packageId, [sentAt, Date.now()]);
              })
              .catch(() => undefined),
          );
          // Spread a period's packages over its first half, so the kill lands mid-stream.
          await sleep((P * 500) / packages.length);
        }
      }
    })();

    // Kill the gateway part-way through the second period's packages.
    expect(await waitFor(() => acked.size >= 35, 30_000, 20), "packages acknowledged before the kill").to.equal(true);
    killedAt = Date.now();
    await killHard(gateway.child);
    const ackedBeforeKill = acked.size;
    await sleep(300);
    gateway = await spawnGateway(chain!.anvil.url, opts, deployments);
    // Terminals keep publishing over the restarted gateway for two more periods.
    const restartPeriod = fleet.periodNow();
    await waitFor(() => lastPeriod >= restartPeriod + 2, 30_000, 50);
    running = false;
    await publisher;
    const settledInflight = await Promise.all(inflight.map((p) => within(p, 15_000)));
    expect(
      settledInflight.every((ok) => ok),
      "every send settled (acknowledged or failed)",
    ).to.equal(true);
    expect(acked.size).to.be.greaterThan(ackedBeforeKill);

    // The restarted gateway closes every period and anchors it.
    const lastGatewayPeriod = startAt / P + lastPeriod;
    const done = await waitFor(
      async () => {
        const h = await getJson<{ journal: { closedThrough: number }; backlog: { records: number } }>(
          httpUrl,
          "/v1/health",
        ).catch(() => undefined);
        return h !== undefined && h.journal.closedThrough >= lastGatewayPeriod && h.backlog.records === 0;
      },
      60_000,
      250,
    );
    expect(done, `every period closed and anchored:\n${gateway.output().slice(-3000)}`).to.equal(true);
    await stopProcess(gateway.child);

    const journal = new GatewayJournal(join(dataDir, "journal.sqlite"));
    try {
      const audit = expectAccountedFor(journal, [...sent.values()]);
      const journaled = new Set(audit.packages.map((p) => p.id));
      const missing = [...acked.keys()].filter((id) => !journaled.has(id));
      const lostHttp = missing.filter((id) => acked.get(id) === "http");
      expect(
        lostHttp.map((id) => info(id)),
        "202-acknowledged packages missing from the journal",
      ).to.deep.equal([]);
      // Over MQTT a PUBACK means "journaled or refused". A publish the terminal queued while the gateway was down
      // may arrive after its period closed: that is refused (STALE_TIMESTAMP), journaled as a refusal and answered
      // on the rejections topic. Per terminal, every PUBACKed package missing from the journal is such a refusal.
      const refusals = journal.rejections({ limit: 100_000 }).filter((r) => r.via === "mqtt");
      for (const r of refusals) expect(r.reason, r.detail).to.equal("STALE_TIMESTAMP");
      const perTerminal = (ids: readonly string[]) =>
        ids.reduce((m, id) => m.set(sent.get(id)!.terminalId, (m.get(sent.get(id)!.terminalId) ?? 0) + 1), new Map());
      const refusedPerTerminal = new Map<string, number>();
      for (const r of refusals) refusedPerTerminal.set(r.terminalId!, (refusedPerTerminal.get(r.terminalId!) ?? 0) + 1);
      expect(
        perTerminal(missing),
        `PUBACKed, not journaled: ${missing.map((id) => info(id)).join("; ")}`,
      ).to.deep.equal(refusedPerTerminal);
      expect(audit.counts.total).to.equal(audit.packages.reduce((n, p) => n + p.n, 0));
      const onChain = await onChainRoots(chain!.provider, journal);
      expect(new Set(onChain).size, "no root anchored twice").to.equal(onChain.length);
      expect([...onChain].sort()).to.deep.equal([...audit.confirmedRoots].sort());
    } finally {
      journal.close();
    }
  });
});
