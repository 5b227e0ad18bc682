/**
 * The chain benchmark of P000 Fig. 4: at each offered rate, query load (DataAcquisition.verifyRecord through
 * eth_call) and uplink load (anchorBatch transactions), measuring achieved throughput and mean / p95 latency.
 * Open loop: requests leave on a fixed schedule whatever the node answers, so a saturated node shows as
 * throughput falling behind the offered rate and latency growing. Bounded in count and in time.
 */
import * as http from "node:http";
import { hexlify, HDNodeWallet, Interface, Mnemonic, randomBytes, Transaction, type Signer } from "ethers";
import { DataAcquisition__factory, TerminalRegistry__factory } from "../../typechain-types";
import { FastMerkleTree, initMerkle, type GridRecord, type RecordLeaf } from "../../src/merkle";
import { anchorRecords } from "../../src/chain/anchor";
import { awaitConfirmations } from "../../src/chain/confirmations";
import { connectCore, type CoreContracts } from "../../src/chain/contracts";
import { acquisitionDomain, signHeader } from "../../src/chain/eip712";
import { nextHeader } from "../../src/chain/headers";
import { toTerminalId } from "../../src/chain/ids";
import { DEV_MNEMONIC, devTerminalWallet } from "../../src/chain/keys";
import { readStreamState, type StreamState } from "../../src/chain/streams";
import { registerTerminals, type TerminalSpec } from "../../src/terminals/registration.node";
import { TriggerMode, type Policy } from "../../src/chain/types";

/** A JSON-RPC transport: raw `send` so nothing (batching, caching, polling) sits between us and the node. */
export interface Rpc {
  send(method: string, params: unknown[]): Promise<unknown>;
}

/** A data type of the bench's own: event-driven, no window bound, a day of tolerance. */
export const BENCH_DATA_TYPE = 65_000;
export const BENCH_POLICY: Policy = {
  tolerance: 86_400,
  timeScale: 0,
  maxRecords: 1_000_000,
  sensorCount: 0,
  trigger: TriggerMode.EventDriven,
  enabled: true,
};

export const BENCH_DEFAULTS = {
  rates: [10, 50, 100, 200, 400],
  durationSec: 10,
  terminals: 32,
  /** Per phase (one kind at one rate): never more requests than this. */
  maxRequests: 10_000,
  /** After the last send, how long to wait for answers / receipts before counting the rest as failed. */
  drainSec: 30,
  /** Records in the batch that queries prove. */
  queryRecords: 64,
  /** The dev account (of the test mnemonic) that signs the uplink transactions locally. */
  senderIndex: 1,
} as const;

export interface BenchOptions {
  rates: number[];
  durationSec: number;
  terminals: number;
  maxRequests: number;
  drainSec: number;
  queryRecords: number;
  senderIndex: number;
  /** Also measure the anchoring latency to this many confirmations (0: skip). */
  confirmations?: number;
  /** Anchors timed one at a time for that latency. */
  confirmationSamples?: number;
  log?: (line: string) => void;
}

/** Time from sending one anchor to its transaction being `confirmations` blocks deep. */
export interface ConfirmationLatency {
  confirmations: number;
  samples: number;
  ok: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  errors: string[];
}

export interface PhaseResult {
  offeredRate: number;
  sent: number;
  ok: number;
  failed: number;
  /** Successful requests per second, from the first send to the last success. */
  throughput: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** The first few distinct errors, for the record. */
  errors: string[];
}

export interface BenchRun {
  rate: number;
  query: PhaseResult;
  uplink: PhaseResult;
}

export interface BenchResult {
  network: string;
  client: string;
  chainId: number;
  date: string;
  options: Omit<BenchOptions, "log">;
  contracts: { registry: string; acquisition: string };
  /** The node's block gas limit: with the block time, it caps uplink throughput at limit / uplinkGasLimit per block. */
  blockGasLimit: number;
  /** Gas the bench's anchorBatch transactions were given (estimate of a stream's first batch, +10%). */
  uplinkGasLimit: number;
  runs: BenchRun[];
  peak: { queryPerSec: number; uplinkPerSec: number };
  /** Seconds between blocks, measured over the run (interval mining: the node's block time). */
  blockTimeSec?: number;
  confirmationLatency?: ConfirmationLatency;
}

// ---------------------------------------------------------------- statistics

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/** Summarises one phase from send times, completion times (undefined: failed) and the errors seen. */
export function summarise(
  offeredRate: number,
  sentAt: readonly number[],
  doneAt: readonly (number | undefined)[],
  errors: readonly string[],
): PhaseResult {
  const latencies: number[] = [];
  let last = 0;
  for (let i = 0; i < sentAt.length; i++) {
    const done = doneAt[i];
    if (done === undefined) continue;
    latencies.push(done - sentAt[i]);
    if (done > last) last = done;
  }
  latencies.sort((a, b) => a - b);
  const ok = latencies.length;
  const span = ok > 0 ? (last - sentAt[0]) / 1000 : 0;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    offeredRate,
    sent: sentAt.length,
    ok,
    failed: sentAt.length - ok,
    throughput: span > 0 ? round(ok / span) : 0,
    meanMs: ok > 0 ? round(latencies.reduce((a, b) => a + b, 0) / ok) : 0,
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    maxMs: round(latencies[ok - 1] ?? 0),
    errors: [...new Set(errors)].slice(0, 5),
  };
}

// ---------------------------------------------------------------- transports

/** Refuses any RPC URL that is not on this machine: the bench must never load someone else's node. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  if (!["127.0.0.1", "localhost", "::1"].includes(host)) {
    throw new Error(`the chain benchmark only runs against a loopback node (127.0.0.1, localhost, ::1), not ${url}`);
  }
}

/** Connections the HTTP client keeps open to the node; further requests queue in the client (and count as latency). */
export const HTTP_CONNECTIONS = 64;

/**
 * A bare JSON-RPC client over node:http with a fixed pool of keep-alive connections: no batching, caching or polling
 * between us and the node, and no connection storms (fetch opens a new socket per concurrent request, which on a
 * 2-core machine costs more than the calls themselves). Each request has a timeout.
 */
export function httpRpc(url: string, connections = HTTP_CONNECTIONS, timeoutMs = 60_000): Rpc {
  assertLoopback(url);
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  let id = 0;
  const once = (method: string, params: unknown[]): Promise<unknown> => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params });
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: target.hostname.replace(/^\[|\]$/g, ""),
          port: target.port || 80,
          path: target.pathname,
          method: "POST",
          agent,
          timeout: timeoutMs,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            try {
              const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
                result?: unknown;
                error?: { message?: string };
              };
              if (parsed.error) reject(new Error(parsed.error.message ?? JSON.stringify(parsed.error)));
              else resolve(parsed.result);
            } catch (e) {
              reject(new Error(`${method}: HTTP ${res.statusCode}, not JSON-RPC: ${(e as Error).message}`));
            }
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method}: no answer within ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  };
  return {
    async send(method, params) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await once(method, params);
        } catch (e) {
          // A server closes idle keep-alive connections (Node's own server after 5 s); a request sent on one never
          // reached it, so sending it again is safe, transactions included (same signed bytes). Every pooled
          // connection may be stale, hence up to `connections` retries.
          const code = (e as { code?: string }).code;
          if (
            attempt > connections + 1 ||
            !(code === "ECONNRESET" || code === "EPIPE" || /socket hang up/.test(String(e)))
          )
            throw e;
        }
      }
    },
  };
}

/** Opens (or refreshes) the client's connections before a phase, so set-up is not measured as node latency. */
async function warmUp(rpc: Rpc): Promise<void> {
  await Promise.all(Array.from({ length: HTTP_CONNECTIONS }, () => rpc.send("eth_chainId", [])));
}

// ---------------------------------------------------------------- open-loop driver

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Fires `count` requests on an open-loop schedule (`rate` per second), each through `fire(i)`, which resolves when
 * the request has been handed over and reports completion through the returned promise. Returns the send times.
 */
async function openLoop(count: number, rate: number, fire: (i: number) => void): Promise<number[]> {
  const sentAt: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count;) {
    const now = performance.now();
    // Everything due by now leaves now; the timer's coarseness only bunches sends, never drops them.
    while (i < count && t0 + (i * 1000) / rate <= now) {
      sentAt.push(performance.now());
      fire(i);
      i++;
    }
    if (i < count) await sleep(Math.max(0, t0 + (i * 1000) / rate - performance.now()));
  }
  return sentAt;
}

// ---------------------------------------------------------------- setup

interface BenchSetup {
  core: CoreContracts;
  chainId: bigint;
  terminals: { id: string; key: HDNodeWallet }[];
  streams: StreamState[];
  queryCalls: string[];
  sender: HDNodeWallet;
  gasLimit: bigint;
}

/** Deploys a fresh registry and anchor contract, the bench policy, the terminals and one batch to query. */
async function setUp(deployer: Signer, rpc: Rpc, opts: BenchOptions): Promise<BenchSetup> {
  const log = opts.log ?? (() => undefined);
  const provider = deployer.provider!;
  const admin = await deployer.getAddress();
  const registry = await new TerminalRegistry__factory(deployer).deploy(admin);
  await registry.waitForDeployment();
  const acquisition = await new DataAcquisition__factory(deployer).deploy(await registry.getAddress(), admin);
  await acquisition.waitForDeployment();
  const core = connectCore(
    { registry: await registry.getAddress(), acquisition: await acquisition.getAddress() },
    deployer,
  );
  await (await core.acquisition.setPolicy(BENCH_DATA_TYPE, BENCH_POLICY)).wait();

  const specs: TerminalSpec[] = [];
  for (let i = 0; i < opts.terminals; i++) {
    const label = `bench.t${String(i).padStart(3, "0")}`;
    const id = toTerminalId(label);
    specs.push({
      label,
      terminalId: id,
      signer: devTerminalWallet(id).address,
      kind: "PMU",
      location: { gridId: `0x${"0".repeat(64)}`, bus: i, geohash: `0x${"0".repeat(24)}` },
      metadataURI: "",
      line: i + 1,
    });
  }
  await registerTerminals(core, specs, "bench terminals");
  const terminals = specs.map((s) => ({ id: s.terminalId, key: devTerminalWallet(s.terminalId) }));
  log(`deployed a fresh TerminalRegistry and DataAcquisition, ${terminals.length} terminals`);

  await initMerkle();
  const now = (await provider.getBlock("latest"))!.timestamp;
  const records: GridRecord[] = Array.from({ length: opts.queryRecords }, (_, i) => ({
    terminalId: terminals[0].id,
    kind: 1,
    timestamp: now - opts.queryRecords + i,
    payload: { seq: i, mw: 100 + i / 8 },
  }));
  await anchorRecords({
    core,
    records,
    terminalId: terminals[0].id,
    dataType: BENCH_DATA_TYPE,
    key: terminals[0].key,
  });
  const tree = FastMerkleTree.ofRecords(records) as FastMerkleTree<RecordLeaf>;
  const queryCalls = records.map((_, i) => {
    const [terminalId, kind, timestamp, payloadHash] = tree.at(i);
    return core.acquisition.interface.encodeFunctionData("verifyRecord", [
      tree.root,
      tree.getProof(i),
      { terminalId, kind, timestamp, payloadHash },
    ]);
  });

  const streams = await Promise.all(terminals.map((t) => readStreamState(core.acquisition, t.id)));
  const sender = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), `m/44'/60'/0'/0/${opts.senderIndex}`);
  const balance = BigInt((await rpc.send("eth_getBalance", [sender.address, "latest"])) as string);
  if (balance === 0n) {
    throw new Error(
      `the bench signs uplink transactions with dev account #${opts.senderIndex} (${sender.address}), which has no funds on this node`,
    );
  }
  const chainId = (await provider.getNetwork()).chainId;
  // The costliest anchor is a stream's first (its tip slot goes from zero to non-zero): size the gas limit on it.
  const probe = signedAnchor(core, chainId, terminals[1], streams[1], BigInt(now), sender, 0n, 10_000_000n, 0n);
  const estimate = BigInt(
    (await rpc.send("eth_estimateGas", [{ from: sender.address, to: probe.to, data: probe.data }])) as string,
  );
  // Gas use is the same for every anchor of this shape; the margin covers calldata (zero bytes cost less).
  return { core, chainId, terminals, streams, queryCalls, sender, gasLimit: (estimate * 110n) / 100n };
}

/** A locally signed anchorBatch transaction extending `stream` (which it advances). */
function signedAnchor(
  core: CoreContracts,
  chainId: bigint,
  terminal: { id: string; key: HDNodeWallet },
  stream: StreamState,
  windowEnd: bigint,
  sender: HDNodeWallet,
  nonce: bigint,
  gasLimit: bigint,
  maxFeePerGas: bigint,
): { to: string; data: string; raw: string; hash: string; next: StreamState } {
  const to = core.acquisition.target as string;
  const { header, next } = nextHeader(stream, {
    dataType: BENCH_DATA_TYPE,
    terminalId: terminal.id,
    windowStart: windowEnd,
    windowEnd,
    recordCount: 1,
    merkleRoot: hexlify(randomBytes(32)),
  });
  const signature = signHeader(terminal.key.signingKey, acquisitionDomain(chainId, to), header);
  const data = ANCHOR_INTERFACE.encodeFunctionData("anchorBatch", [header, signature]);
  const tx = Transaction.from({
    type: 2,
    chainId,
    nonce: Number(nonce),
    to,
    data,
    gasLimit,
    maxFeePerGas,
    maxPriorityFeePerGas: maxFeePerGas === 0n ? 0n : 1_000_000_000n,
  });
  tx.signature = sender.signingKey.sign(tx.unsignedHash);
  return {
    to,
    data,
    raw: tx.serialized,
    hash: tx.hash!,
    next,
  };
}

const ANCHOR_INTERFACE = new Interface(DataAcquisition__factory.abi);

// ---------------------------------------------------------------- phases

/** Query load: verifyRecord through eth_call at `rate` per second. */
async function queryPhase(rpc: Rpc, setup: BenchSetup, rate: number, count: number, drainMs: number) {
  const to = setup.core.acquisition.target as string;
  const doneAt: (number | undefined)[] = new Array(count);
  const errors: string[] = [];
  const pending: Promise<void>[] = [];
  const TRUE = `0x${"0".repeat(63)}1`;
  await warmUp(rpc);
  const sentAt = await openLoop(count, rate, (i) => {
    pending.push(
      rpc.send("eth_call", [{ to, data: setup.queryCalls[i % setup.queryCalls.length] }, "latest"]).then(
        (result) => {
          if (result === TRUE) doneAt[i] = performance.now();
          else errors.push(`verifyRecord returned ${String(result)}`);
        },
        (e: Error) => void errors.push(e.message),
      ),
    );
  });
  await Promise.race([Promise.all(pending), sleep(drainMs)]);
  return summarise(rate, sentAt, doneAt, errors);
}

/** A window that has closed on the chain, and a fee cap for the next anchors. */
async function windowAndFee(rpc: Rpc): Promise<{ windowEnd: bigint; maxFeePerGas: bigint }> {
  const latest = (await rpc.send("eth_getBlockByNumber", ["latest", false])) as {
    timestamp: string;
    baseFeePerGas?: string;
  };
  const baseFee = BigInt(latest.baseFeePerGas ?? "0");
  // Ten times the base fee (at least 50 gwei) rides out the base fee's climb while blocks run full.
  const maxFeePerGas = baseFee === 0n ? 0n : baseFee * 10n > 50_000_000_000n ? baseFee * 10n : 50_000_000_000n;
  return { windowEnd: BigInt(latest.timestamp) - 1n, maxFeePerGas };
}

/** Anchoring latency to N confirmations: one anchor at a time, from its send until it is N blocks deep. */
async function confirmationPhase(
  rpc: Rpc,
  txRpc: Rpc,
  setup: BenchSetup,
  confirmations: number,
  samples: number,
  timeoutMs: number,
): Promise<ConfirmationLatency> {
  const ms: number[] = [];
  const errors: string[] = [];
  for (let i = 0; i < samples; i++) {
    const { windowEnd, maxFeePerGas } = await windowAndFee(rpc);
    const nonce = BigInt((await rpc.send("eth_getTransactionCount", [setup.sender.address, "pending"])) as string);
    const k = i % setup.terminals.length;
    const tx = signedAnchor(
      setup.core,
      setup.chainId,
      setup.terminals[k],
      setup.streams[k],
      windowEnd,
      setup.sender,
      nonce,
      setup.gasLimit,
      maxFeePerGas,
    );
    const t0 = performance.now();
    try {
      await txRpc.send("eth_sendRawTransaction", [tx.raw]);
      const outcome = await awaitConfirmations(rpc, tx.hash, confirmations, { timeoutMs, pollMs: 50 });
      if (outcome.kind !== "confirmed") throw new Error(`${tx.hash} dropped`);
      ms.push(performance.now() - t0);
      setup.streams[k] = tx.next;
    } catch (e) {
      errors.push((e as Error).message.split("\n")[0]);
      await resyncStreams(setup);
    }
  }
  const sorted = [...ms].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v);
  return {
    confirmations,
    samples,
    ok: ms.length,
    meanMs: round(ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length)),
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    maxMs: round(sorted[sorted.length - 1] ?? 0),
    errors: [...new Set(errors)].slice(0, 3),
  };
}

/** Uplink load: anchorBatch transactions, signed in advance, sent at `rate` per second; done = event seen. */
async function uplinkPhase(rpc: Rpc, txRpc: Rpc, setup: BenchSetup, rate: number, count: number, drainMs: number) {
  const { core, sender, terminals } = setup;
  const { windowEnd, maxFeePerGas } = await windowAndFee(rpc);
  let nonce = BigInt((await rpc.send("eth_getTransactionCount", [sender.address, "pending"])) as string);
  const txs: ReturnType<typeof signedAnchor>[] = [];
  for (let i = 0; i < count; i++) {
    const k = i % terminals.length;
    const tx = signedAnchor(
      core,
      setup.chainId,
      terminals[k],
      setup.streams[k],
      windowEnd,
      sender,
      nonce++,
      setup.gasLimit,
      maxFeePerGas,
    );
    setup.streams[k] = tx.next;
    txs.push(tx);
  }
  // Signing took seconds: the node may have closed idle connections meanwhile.
  await warmUp(rpc);
  await warmUp(txRpc);
  const indexOf = new Map(txs.map((t, i) => [t.hash, i]));
  const topic = core.acquisition.interface.getEvent("BatchAnchored").topicHash;
  const filter = (await rpc.send("eth_newFilter", [{ address: core.acquisition.target, topics: [topic] }])) as string;
  const doneAt: (number | undefined)[] = new Array(count);
  const errors: string[] = [];
  let confirmed = 0;
  let failedToSend = 0;
  const poll = async () => {
    const logs = (await rpc.send("eth_getFilterChanges", [filter])) as { transactionHash: string }[];
    const now = performance.now();
    for (const log of logs) {
      const i = indexOf.get(log.transactionHash);
      if (i !== undefined && doneAt[i] === undefined) {
        doneAt[i] = now;
        confirmed++;
      }
    }
  };
  let polling = true;
  const poller = (async () => {
    while (polling) {
      await poll().catch((e: Error) => void errors.push(`eth_getFilterChanges: ${e.message}`));
      await sleep(20);
    }
  })();
  const sentAt = await openLoop(count, rate, (i) => {
    txRpc.send("eth_sendRawTransaction", [txs[i].raw]).catch((e: Error) => {
      failedToSend++;
      errors.push(e.message);
    });
  });
  const deadline = performance.now() + drainMs;
  while (confirmed + failedToSend < count && performance.now() < deadline) await sleep(50);
  polling = false;
  await poller;
  await poll().catch(() => undefined);
  await rpc.send("eth_uninstallFilter", [filter]).catch(() => undefined);
  return summarise(rate, sentAt, doneAt, errors);
}

/** Re-reads every stream from the chain (after failures, the locally tracked tips may be ahead). */
async function resyncStreams(setup: BenchSetup) {
  setup.streams = await Promise.all(setup.terminals.map((t) => readStreamState(setup.core.acquisition, t.id)));
}

/**
 * Runs the whole benchmark: setup, then for each rate a query phase and an uplink phase. `txRpc` carries the
 * transactions: give it one connection so they reach the node in nonce order (an automining node such as
 * `npx hardhat node` refuses a nonce gap instead of queueing it).
 */
export async function runChainBench(
  deployer: Signer,
  rpc: Rpc,
  network: string,
  opts: BenchOptions,
  txRpc: Rpc = rpc,
): Promise<BenchResult> {
  const log = opts.log ?? (() => undefined);
  for (const r of opts.rates) {
    if (!(r > 0) || !Number.isFinite(r)) throw new Error(`rates must be positive numbers, got ${r}`);
  }
  if (!(opts.durationSec > 0)) throw new Error(`duration must be positive, got ${opts.durationSec}`);
  const client = String(await rpc.send("web3_clientVersion", []).catch(() => "unknown"));
  const setup = await setUp(deployer, rpc, opts);
  const runs: BenchRun[] = [];
  for (const rate of opts.rates) {
    const count = Math.min(opts.maxRequests, Math.max(1, Math.round(rate * opts.durationSec)));
    const drainMs = opts.drainSec * 1000;
    const query = await queryPhase(rpc, setup, rate, count, drainMs);
    log(`rate ${rate}/s  query : ${fmt(query)}`);
    const uplink = await uplinkPhase(rpc, txRpc, setup, rate, count, drainMs);
    log(`rate ${rate}/s  uplink: ${fmt(uplink)}`);
    if (uplink.failed > 0) await resyncStreams(setup);
    runs.push({ rate, query, uplink });
  }
  let confirmationLatency: ConfirmationLatency | undefined;
  if (opts.confirmations && opts.confirmations > 0) {
    confirmationLatency = await confirmationPhase(
      rpc,
      txRpc,
      setup,
      opts.confirmations,
      opts.confirmationSamples ?? 5,
      opts.drainSec * 1000 * opts.confirmations,
    );
    log(
      `anchoring to ${opts.confirmations} confirmations: mean ${confirmationLatency.meanMs} ms, p95 ${confirmationLatency.p95Ms} ms (${confirmationLatency.ok}/${confirmationLatency.samples})`,
    );
  }
  const { log: _log, ...options } = opts;
  void _log;
  const block = (await rpc.send("eth_getBlockByNumber", ["latest", false])) as {
    gasLimit: string;
    number: string;
    timestamp: string;
  };
  const span = Math.min(20, Number(block.number) - 1);
  const earlier = (await rpc.send("eth_getBlockByNumber", [
    `0x${(Number(block.number) - span).toString(16)}`,
    false,
  ])) as { timestamp: string };
  return {
    network,
    client,
    chainId: Number(setup.chainId),
    date: new Date().toISOString(),
    options,
    contracts: { registry: setup.core.registry.target as string, acquisition: setup.core.acquisition.target as string },
    blockGasLimit: Number(BigInt(block.gasLimit)),
    uplinkGasLimit: Number(setup.gasLimit),
    runs,
    peak: {
      queryPerSec: Math.max(...runs.map((r) => r.query.throughput)),
      uplinkPerSec: Math.max(...runs.map((r) => r.uplink.throughput)),
    },
    blockTimeSec: span > 0 ? Number(BigInt(block.timestamp) - BigInt(earlier.timestamp)) / span : undefined,
    ...(confirmationLatency ? { confirmationLatency } : {}),
  };
}

function fmt(p: PhaseResult): string {
  return `${p.ok}/${p.sent} ok, ${p.throughput}/s, mean ${p.meanMs} ms, p95 ${p.p95Ms} ms${p.failed ? `, ${p.failed} failed (${p.errors[0] ?? "no answer in time"})` : ""}`;
}

// ---------------------------------------------------------------- figure

/** A Vega-Lite spec like P000 Fig. 4: throughput and mean latency against the offered rate, query vs uplink. */
export function benchChartSpec(result: BenchResult): Record<string, unknown> {
  const rows = result.runs.flatMap((r) => [
    {
      rate: r.rate,
      load: "query (verifyRecord, eth_call)",
      throughput: r.query.throughput,
      meanMs: r.query.meanMs,
      p95Ms: r.query.p95Ms,
    },
    {
      rate: r.rate,
      load: "uplink (anchorBatch tx)",
      throughput: r.uplink.throughput,
      meanMs: r.uplink.meanMs,
      p95Ms: r.uplink.p95Ms,
    },
  ]);
  const ideal = result.runs.map((r) => ({ rate: r.rate, throughput: r.rate }));
  const x = { field: "rate", type: "quantitative", title: "offered rate (requests/s)" };
  const color = { field: "load", type: "nominal", title: null, legend: { orient: "bottom", labelLimit: 400 } };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: `Chain performance, query vs uplink (cf. P000 Fig. 4): ${result.network}`,
      subtitle: `${result.client}; ${result.options.durationSec} s per rate, ${result.options.terminals} streams`,
    },
    hconcat: [
      {
        title: "Achieved throughput",
        width: 320,
        height: 240,
        layer: [
          {
            data: { values: ideal },
            mark: { type: "line", strokeDash: [4, 4], color: "#999" },
            encoding: { x, y: { field: "throughput", type: "quantitative" } },
          },
          {
            data: { values: rows },
            mark: { type: "line", point: true },
            encoding: { x, y: { field: "throughput", type: "quantitative", title: "successful requests/s" }, color },
          },
        ],
      },
      {
        title: "Mean latency (log scale)",
        width: 320,
        height: 240,
        data: { values: rows },
        mark: { type: "line", point: true },
        encoding: {
          x,
          y: { field: "meanMs", type: "quantitative", scale: { type: "log" }, title: "mean latency (ms)" },
          color,
          tooltip: [{ field: "p95Ms", title: "p95 (ms)" }],
        },
      },
    ],
  };
}

/**
 * The same benchmark at several block times side by side (P000 Fig. 4 shape): throughput and mean latency against
 * the offered rate, one line per kind (query, uplink) and block time.
 */
export function blockTimeChartSpec(results: readonly { blockTime: number; result: BenchResult }[]) {
  const values = results.flatMap(({ blockTime, result }) =>
    result.runs.flatMap((r) =>
      (["query", "uplink"] as const).map((kind) => ({
        rate: r.rate,
        series: `${kind}, ${blockTime} s blocks`,
        throughput: r[kind].throughput,
        meanMs: Math.max(1, r[kind].meanMs),
      })),
    ),
  );
  const line = (y: string, title: string, log: boolean) => ({
    width: 320,
    height: 220,
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "rate", type: "quantitative", title: "offered rate (requests/s)" },
      y: { field: y, type: "quantitative", title, ...(log ? { scale: { type: "log" } } : {}) },
      color: { field: "series", type: "nominal", title: null },
    },
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: "Query vs uplink at several block times (anvil)",
    data: { values },
    hconcat: [line("throughput", "achieved (requests/s)", false), line("meanMs", "mean latency (ms, log)", true)],
  };
}
