import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HDNodeWallet, JsonRpcProvider, SigningKey } from "ethers";
import mqtt, { type MqttClient } from "mqtt";
import { startAnvil, type AnvilHandle, type AnvilOptions } from "../../src/devnet/anvil";
import { connectCore, type CoreContracts } from "../../src/chain/contracts";
import { DEV_MNEMONIC, devTerminalWallet } from "../../src/chain/keys";
import { listBatches } from "../../src/chain/streams";
import { loadCase } from "../../src/grid/case";
import { initMerkle } from "../../src/merkle";
import { GatewayJournal } from "../../src/gateway/inbox";
import { SERVE_DEFAULTS } from "../../src/gateway/options";
import { startGateway, type GatewayHandle, type ServeOptions } from "../../src/gateway/server";
import { DATA_PERIOD_SECONDS } from "../../src/gateway/options";
import { packagesTopic, rejectionsTopic, toWire } from "../../src/gateway/wire";
import { DEFAULT_FAULTS, NO_FAULTS } from "../../src/pipeline/faults";
import { generatePeriod, type GeneratedPackage } from "../../src/pipeline/generate";
import { resolveRunOptions } from "../../src/pipeline/options";
import { packageDigest } from "../../src/pipeline/packages";
import { generationContext } from "../../src/pipeline/run";
import { scenarioTerminals, type ScenarioTerminal } from "../../src/pipeline/scenario";
import { DEFAULT_ZONE, localClock } from "../../src/validation/clock";
import { LoadHistory } from "../../src/validation/history";
import { readLoadCsv } from "../../src/validation/series";

/** The grid case the gateway tests play: small, so a period's packages are few and quick to anchor. */
export const TEST_CASE = "ieee14";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Anvil plus a provider and the dev account 0 that relays anchors (what `--network anvil` uses). */
export interface TestChain {
  anvil: AnvilHandle;
  provider: JsonRpcProvider;
  signer: HDNodeWallet;
  chainId: bigint;
}

export async function startTestChain(options: AnvilOptions = {}): Promise<TestChain> {
  const anvil = await startAnvil(options);
  const provider = new JsonRpcProvider(anvil.url, undefined, {
    staticNetwork: true,
    pollingInterval: 250,
    cacheTimeout: -1,
  });
  const signer = HDNodeWallet.fromPhrase(DEV_MNEMONIC).connect(provider);
  return { anvil, provider, signer, chainId: (await provider.getNetwork()).chainId };
}

export async function stopTestChain(chain: TestChain | undefined): Promise<void> {
  if (!chain) return;
  chain.provider.destroy();
  await chain.anvil.stop();
}

/** Deployment files go to a scratch folder while a suite runs (never into the worktree's deployments/). */
export function useDeploymentsDir(dir: string): () => void {
  const before = process.env.GRIDLEDGER_DEPLOYMENTS_DIR;
  process.env.GRIDLEDGER_DEPLOYMENTS_DIR = dir;
  return () => {
    if (before === undefined) delete process.env.GRIDLEDGER_DEPLOYMENTS_DIR;
    else process.env.GRIDLEDGER_DEPLOYMENTS_DIR = before;
  };
}

/** One validator model for all the gateways of a test run: each would otherwise train its own (seconds each). */
const sharedModel = join(mkdtempSync(join(tmpdir(), "gridledger-gateway-model-")), "validator-model.json");

/** Gives a new data folder the shared validator model, or shares the one a gateway trained there. */
function shareModel(dataDir: string): void {
  const own = join(dataDir, "validator-model.json");
  if (existsSync(sharedModel) && !existsSync(own)) {
    mkdirSync(dataDir, { recursive: true });
    copyFileSync(sharedModel, own);
  } else if (existsSync(own) && !existsSync(sharedModel)) copyFileSync(own, sharedModel);
}

/** grid:serve's options for a test: any free ports, short periods, the small case, dev setup on. */
export function gatewayOptions(dataDir: string, over: Partial<ServeOptions> = {}): ServeOptions {
  shareModel(dataDir);
  return {
    ...SERVE_DEFAULTS,
    dataDir,
    httpPort: 0,
    mqttPort: 0,
    case: TEST_CASE,
    periodSeconds: 3,
    graceSeconds: 1,
    devSetup: true,
    drainMs: 5_000,
    logger: false,
    ...over,
  };
}

/** The gateway in this process; GATEWAY_TEST_LOG=1 prints its log lines. */
export async function startTestGateway(chain: TestChain, opts: ServeOptions): Promise<GatewayHandle> {
  const log = process.env.GATEWAY_TEST_LOG
    ? (line: string) => console.log(`    [gateway ${new Date().toISOString().slice(11, 23)}] ${line}`)
    : () => undefined;
  const handle = await startGateway(opts, { signer: chain.signer, provider: chain.provider, network: "anvil", log });
  shareModel(opts.dataDir);
  return handle;
}

/** A package ready to send: its id (the EIP-712 digest) and wire body. */
export interface WirePackage {
  packageId: string;
  terminalId: string;
  records: number;
  body: string;
  generated: GeneratedPackage;
}

/**
 * The case's terminals with their dev keys, producing signed packages for any period (as grid:terminals does),
 * with period 0 starting at `startAt` (a multiple of `periodSeconds`).
 */
export async function terminalFleet(opts: {
  chainId: bigint;
  periodSeconds: number;
  startAt: number;
  faults?: boolean;
  seed?: number;
}) {
  await initMerkle();
  const faults = opts.faults ? { ...DEFAULT_FAULTS } : { ...NO_FAULTS };
  const run = resolveRunOptions({ case: TEST_CASE, seed: opts.seed ?? 3, faults });
  const loaded = loadCase({ case: run.case });
  const terminals: ScenarioTerminal[] = scenarioTerminals(loaded.name, loaded.grid, run.scenario);
  const keys = terminals.map((t) => new SigningKey(devTerminalWallet(t.terminalId).privateKey));
  const series = readLoadCsv(run.loadFile);
  const prepared = { series, clock: localClock(DEFAULT_ZONE), history: LoadHistory.fromSeries(series) };
  const gen = generationContext(
    { ...run, periodSeconds: opts.periodSeconds },
    loaded,
    terminals,
    keys,
    prepared,
    { chainId: opts.chainId, chainStart: opts.startAt },
    96,
  );
  gen.dataPeriodSeconds = DATA_PERIOD_SECONDS;
  const packagesOf = (period: number): WirePackage[] =>
    generatePeriod(gen, period).map((g) => ({
      packageId: packageDigest(opts.chainId, g.pkg),
      terminalId: g.pkg.terminalId.toLowerCase(),
      records: g.pkg.records.length,
      body: toWire(g.pkg),
      generated: g,
    }));
  /** The fleet period the wall clock is in. */
  const periodNow = () => Math.floor((Date.now() / 1000 - opts.startAt) / opts.periodSeconds);
  return { terminals, keys, packagesOf, periodNow };
}

/** The next multiple of `periodSeconds` at least `leadSeconds` from now (where a fleet's period 0 starts). */
export function nextBoundary(periodSeconds: number, leadSeconds = 0): number {
  return Math.ceil((Date.now() / 1000 + leadSeconds) / periodSeconds) * periodSeconds;
}

export async function getJson<T = Record<string, unknown>>(base: string, path: string): Promise<T> {
  const res = await fetch(new URL(path, base));
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function postPackage(base: string, body: string | Buffer, contentType = "application/json") {
  const res = await fetch(new URL("/v1/packages", base), {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, retryAfter: res.headers.get("retry-after"), json };
}

/**
 * A terminal-side MQTT client: publishes QoS 1 and records refusals heard on the terminals' rejections topics.
 * `publish` resolves on PUBACK (the gateway journaled or refused the package).
 */
export async function mqttTerminal(url: string, terminalIds: readonly string[], options: mqtt.IClientOptions = {}) {
  const client: MqttClient = await mqtt.connectAsync(url, { clean: true, reconnectPeriod: 300, ...options });
  const rejections: { topic: string; reason: string; detail: string; packageId: string | null }[] = [];
  client.on("message", (topic, payload) => {
    const m = JSON.parse(payload.toString()) as { reason: string; detail: string; packageId: string | null };
    rejections.push({ topic, reason: m.reason, detail: m.detail, packageId: m.packageId });
  });
  client.on("error", () => undefined);
  // No terminals given: hear every terminal's refusals.
  const topics = terminalIds.length > 0 ? terminalIds.map((id) => rejectionsTopic(id)) : ["gridledger/v1/+/rejections"];
  await client.subscribeAsync(topics, { qos: 1 });
  return {
    client,
    rejections,
    publish: (terminalId: string, body: string | Buffer, topic = packagesTopic(terminalId)) =>
      client.publishAsync(topic, body, { qos: 1 }),
    /** Waits until `n` refusals have arrived (they follow the PUBACK), or `timeoutMs`. */
    async waitRejections(n: number, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (rejections.length < n && Date.now() < deadline) await sleep(25);
      return rejections;
    },
    close: () => client.endAsync(true),
  };
}
export type MqttTerminal = Awaited<ReturnType<typeof mqttTerminal>>;

/** Polls until `check` holds or the timeout passes; returns whether it held. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

/** What a journal holds, for the "nothing lost, nothing twice" checks. */
export function journalAudit(journal: GatewayJournal) {
  const db = (journal as unknown as { db: import("better-sqlite3").Database }).db;
  const packages = db
    .prepare("SELECT package_id AS id, terminal_id AS terminalId, period, record_count AS n, processed FROM packages")
    .all() as { id: string; terminalId: string; period: number; n: number; processed: number }[];
  const perSlot = db
    .prepare("SELECT terminal_id AS terminalId, period, COUNT(*) AS n FROM records GROUP BY terminal_id, period")
    .all() as { terminalId: string; period: number; n: number }[];
  const anchoredLeaves = db.prepare("SELECT leaf_hash AS h FROM records WHERE status = 'anchored'").all() as {
    h: string;
  }[];
  return {
    packages,
    counts: journal.counts(),
    perSlot: new Map(perSlot.map((r) => [`${r.terminalId.toLowerCase()}@${r.period}`, r.n])),
    anchoredLeaves: anchoredLeaves.map((r) => r.h.toLowerCase()),
    confirmedRoots: journal
      .batches()
      .filter((b) => b.state === "confirmed")
      .map((b) => b.root.toLowerCase()),
    batchStates: journal.batches().map((b) => b.state),
  };
}

/** Every journaled package was sent by the test and is processed; every record anchored or quarantined, once. */
export function expectAccountedFor(journal: GatewayJournal, sent: readonly { packageId: string }[]) {
  const audit = journalAudit(journal);
  const byId = new Map(sent.map((p) => [p.packageId, p]));
  for (const p of audit.packages) {
    expect(byId.has(p.id), `journaled package ${p.id} was sent by the test`).to.equal(true);
    expect(p.processed, `package ${p.id} processed`).to.equal(1);
  }
  const expected = new Map<string, number>();
  for (const p of audit.packages) {
    const key = `${p.terminalId.toLowerCase()}@${p.period}`;
    expected.set(key, (expected.get(key) ?? 0) + p.n);
  }
  expect(audit.perSlot, "records per terminal and period = records of its packages").to.deep.equal(expected);
  expect(audit.counts.pending).to.equal(0);
  expect(audit.counts.anchored + audit.counts.quarantined).to.equal(audit.counts.total);
  expect(new Set(audit.anchoredLeaves).size, "no record anchored twice").to.equal(audit.anchoredLeaves.length);
  expect(audit.batchStates.every((s) => s === "confirmed")).to.equal(true);
  return audit;
}

/** The roots of every BatchAnchored event of the journal's DataAcquisition. */
export async function onChainRoots(provider: JsonRpcProvider, journal: GatewayJournal): Promise<string[]> {
  const core = journalContracts(provider, journal);
  return (await listBatches(core.acquisition)).map((b) => b.merkleRoot.toLowerCase());
}

export function journalContracts(provider: JsonRpcProvider, journal: GatewayJournal): CoreContracts {
  const chain = journal.getMeta<{ contracts: Record<string, string> }>("chain");
  if (!chain) throw new Error(`${journal.path} has no chain setup`);
  return connectCore(
    { registry: chain.contracts.TerminalRegistry, acquisition: chain.contracts.DataAcquisition },
    provider,
  );
}

/** A separate gateway process (ts-node over test/helpers/gatewayMain.ts), for crash tests. */
export interface GatewayProcess {
  child: ChildProcess;
  http: string;
  mqtt: string;
  output: () => string;
}

export async function spawnGateway(rpcUrl: string, opts: ServeOptions, deployments: string): Promise<GatewayProcess> {
  const child = spawn(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", join(__dirname, "gatewayMain.ts"), JSON.stringify({ rpcUrl, opts })],
    { env: { ...process.env, GRIDLEDGER_DEPLOYMENTS_DIR: deployments }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stderr!.on("data", (d) => (output = (output + d).slice(-20_000)));
  const listening = await new Promise<{ http: string; mqtt: string }>((resolve, reject) => {
    let buffered = "";
    child.stdout!.on("data", (d) => {
      buffered += d;
      output = (output + d).slice(-20_000);
      const line = buffered.split("\n").find((l) => l.includes('"event":"listening"'));
      if (line) resolve(JSON.parse(line) as { http: string; mqtt: string });
    });
    child.once("exit", (code, signal) =>
      reject(new Error(`gateway process exited (${code ?? signal}) before listening:\n${output}`)),
    );
  });
  shareModel(opts.dataDir);
  return { child, ...listening, output: () => output };
}

/** SIGKILL: the process dies at once, as on a power cut. */
export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

/** SIGTERM (the gateway drains), then SIGKILL after `graceMs`. */
export function stopProcess(child: ChildProcess | undefined, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** The Mosquitto binary (Debian package `mosquitto`); fails with the install command when it is missing. */
export function mosquittoBinary(): string {
  for (const path of ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"])
    if (existsSync(path)) return path;
  throw new Error(
    "mosquitto is not installed: sudo apt-get install -y mosquitto (the gateway's external-broker tests need it)",
  );
}

/** Mosquitto on a loopback port with anonymous access and persistence in `dir` (so queued messages survive). */
export async function startMosquitto(dir: string, port: number) {
  const config = join(dir, "mosquitto.conf");
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence true",
      `persistence_location ${dir}/`,
      "max_queued_messages 100000",
      "log_dest none",
    ].join("\n") + "\n",
  );
  const child = spawn(mosquittoBinary(), ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
  let output = "";
  child.stderr!.on("data", (d) => (output += d));
  const url = `mqtt://127.0.0.1:${port}`;
  const up = await waitFor(async () => {
    if (child.exitCode !== null) return true;
    try {
      const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 500 });
      await c.endAsync();
      return true;
    } catch {
      return false;
    }
  }, 10_000);
  if (!up || child.exitCode !== null) throw new Error(`mosquitto did not start on ${url}: ${output}`);
  return { child, url, stop: () => stopProcess(child, 5_000) };
}
