import { SigningKey } from "ethers";
import mqtt, { type MqttClient } from "mqtt";
import { devTerminalWallet } from "../chain/keys";
import { loadCase } from "../grid/case";
import { initMerkle } from "../merkle";
import { DEFAULT_FAULTS, NO_FAULTS } from "../pipeline/faults";
import { generatePeriod } from "../pipeline/generate";
import { resolveRunOptions } from "../pipeline/options";
import { generationContext } from "../pipeline/run";
import { scenarioTerminals } from "../pipeline/scenario";
import { DEFAULT_ZONE, localClock } from "../validation/clock";
import { LoadHistory } from "../validation/history";
import { readLoadCsv } from "../validation/series";
import { DATA_PERIOD_SECONDS } from "./options";
import { packagesTopic, rejectionsTopic, toWire } from "./wire";

export interface TerminalsOptions {
  /** mqtt://host:port or http://host:port of the gateway. */
  gateway: string;
  case: string;
  /** Replayed data seconds per wall-clock second: the wall period is 900 / speed (the gateway's --period). */
  speed: number;
  /** Periods to play. */
  periods: number;
  seed: number;
  faults: boolean;
  chainId: bigint;
  /** Unix seconds where period 0 starts (default: the next period boundary). */
  startAt?: number;
  /** Seconds after a period's end when its packages are sent (within the gateway's grace). */
  sendDelaySeconds: number;
  /** Packages in flight at once (default SEND_CONCURRENCY). */
  concurrency?: number;
  log: (line: string) => void;
}

export interface SentPackage {
  packageId?: string;
  terminalId: string;
  period: number;
  records: number;
  /** "acked" (HTTP 202 / MQTT PUBACK), "rejected" (4xx/5xx or a rejections message). */
  outcome: "acked" | "rejected" | "error";
  reason?: string;
  ackMs: number;
}

export interface TerminalsReport {
  gateway: string;
  periods: number;
  periodSeconds: number;
  packages: number;
  records: number;
  acked: number;
  rejected: Record<string, number>;
  errors: number;
  ackMs: { p50: number; p99: number };
  sent: SentPackage[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Packages in flight at once from this one process (each waits for its acknowledgement). Thousands of sockets
 * opened at once overflow the gateway's accept queue, where real terminals, each on its own connection, would not.
 */
export const SEND_CONCURRENCY = 64;

/** Runs `task` on every item with at most `limit` running at once. */
async function inPool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** One transport to the gateway: sends a wire package and resolves with its acknowledgement. */
interface Transport {
  send(terminalId: string, body: string): Promise<{ ok: boolean; reason?: string; packageId?: string }>;
  close(): Promise<void>;
}

async function httpTransport(base: string): Promise<Transport> {
  const url = new URL("/v1/packages", base).toString();
  return {
    async send(_terminalId, body) {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
      const json = (await res.json()) as { packageId?: string; reason?: string };
      return res.status === 202 ? { ok: true, packageId: json.packageId } : { ok: false, reason: json.reason };
    },
    close: async () => undefined,
  };
}

async function mqttTransport(url: string, terminalIds: readonly string[], rejections: Map<string, string[]>) {
  const client: MqttClient = await mqtt.connectAsync(url, { clean: true, reconnectPeriod: 500 });
  client.on("message", (topic, payload) => {
    const list = rejections.get(topic) ?? [];
    list.push((JSON.parse(payload.toString()) as { reason: string }).reason);
    rejections.set(topic, list);
  });
  await client.subscribeAsync(
    terminalIds.map((id) => rejectionsTopic(id)),
    { qos: 1 },
  );
  const transport: Transport = {
    async send(terminalId, body) {
      await client.publishAsync(packagesTopic(terminalId), body, { qos: 1 });
      return { ok: true };
    },
    close: () => client.endAsync(),
  };
  return transport;
}

/**
 * Plays a case's terminals against a gateway: real dev keys, real signed packages and the seeded fault plan,
 * one package per terminal per period, sent shortly after the period ends, in real or accelerated time.
 */
export async function playTerminals(opts: TerminalsOptions): Promise<TerminalsReport> {
  await initMerkle();
  const run = resolveRunOptions({
    case: opts.case,
    seed: opts.seed,
    ...(opts.faults ? {} : { faults: { ...NO_FAULTS } }),
  });
  const loaded = loadCase({ case: run.case });
  const terminals = scenarioTerminals(loaded.name, loaded.grid, run.scenario);
  const keys = terminals.map((t) => new SigningKey(devTerminalWallet(t.terminalId).privateKey));
  const periodSeconds = Math.max(1, Math.round(DATA_PERIOD_SECONDS / opts.speed));
  const startAt = opts.startAt ?? Math.ceil(Date.now() / 1000 / periodSeconds) * periodSeconds;
  const series = readLoadCsv(run.loadFile);
  const prepared = { series, clock: localClock(DEFAULT_ZONE), history: LoadHistory.fromSeries(series) };
  const gen = generationContext(
    { ...run, faults: opts.faults ? { ...DEFAULT_FAULTS } : { ...NO_FAULTS }, periodSeconds },
    loaded,
    terminals,
    keys,
    prepared,
    { chainId: opts.chainId, chainStart: startAt },
    Math.max(opts.periods, 96),
  );
  gen.dataPeriodSeconds = DATA_PERIOD_SECONDS;
  const rejections = new Map<string, string[]>();
  const isMqtt = opts.gateway.startsWith("mqtt://") || opts.gateway.startsWith("mqtts://");
  const transport = isMqtt
    ? await mqttTransport(
        opts.gateway,
        terminals.map((t) => t.terminalId),
        rejections,
      )
    : await httpTransport(opts.gateway);
  const sent: SentPackage[] = [];
  try {
    for (let period = 0; period < opts.periods; period++) {
      const sendAt = (startAt + (period + 1) * periodSeconds + opts.sendDelaySeconds) * 1000;
      // Signed before the send time: each terminal signs its own package, but here one process signs thousands
      // (seconds of CPU that would otherwise eat the gateway's grace).
      const packages = generatePeriod(gen, period);
      const wait = sendAt - Date.now();
      if (wait > 0) await sleep(wait);
      await inPool(packages, opts.concurrency ?? SEND_CONCURRENCY, async (g) => {
        const t0 = performance.now();
        try {
          const r = await transport.send(g.pkg.terminalId, toWire(g.pkg));
          sent.push({
            packageId: r.packageId,
            terminalId: g.pkg.terminalId,
            period,
            records: g.pkg.records.length,
            outcome: r.ok ? "acked" : "rejected",
            reason: r.reason,
            ackMs: performance.now() - t0,
          });
        } catch (e) {
          sent.push({
            terminalId: g.pkg.terminalId,
            period,
            records: g.pkg.records.length,
            outcome: "error",
            reason: (e as Error).message,
            ackMs: performance.now() - t0,
          });
        }
      });
      opts.log(`period ${period}: sent ${packages.length} packages`);
    }
    if (isMqtt) await sleep(500); // rejections arrive after the PUBACK
  } finally {
    await transport.close();
  }
  // Over MQTT a PUBACK means "decided": a refusal also arrives on the terminal's rejections topic.
  for (const [topic, reasons] of rejections) {
    const terminalId = topic.split("/")[2];
    for (const reason of reasons) {
      const s = sent.find((p) => p.terminalId.toLowerCase() === terminalId && p.outcome === "acked" && !p.reason);
      if (s) {
        s.outcome = "rejected";
        s.reason = reason;
      }
    }
  }
  const ack = sent.map((s) => s.ackMs).sort((a, b) => a - b);
  const rejected: Record<string, number> = {};
  for (const s of sent) if (s.outcome === "rejected") rejected[s.reason ?? "?"] = (rejected[s.reason ?? "?"] ?? 0) + 1;
  return {
    gateway: opts.gateway,
    periods: opts.periods,
    periodSeconds,
    packages: sent.length,
    records: sent.reduce((n, s) => n + s.records, 0),
    acked: sent.filter((s) => s.outcome === "acked").length,
    rejected,
    errors: sent.filter((s) => s.outcome === "error").length,
    ackMs: { p50: percentile(ack, 0.5), p99: percentile(ack, 0.99) },
    sent,
  };
}
