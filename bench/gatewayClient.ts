/**
 * A load-generator process of bench:gateway (forked by bench/gateway.ts; not run on its own). It plays some of
 * the scenario's terminals: first it generates and signs every package of the run (so sending costs nothing but
 * I/O), then each terminal sends its packages on schedule, one in flight at a time (as a device waits for its
 * PUBACK or 202), and reports every acknowledgement's latency.
 */
import { Agent, request } from "node:http";
import { SigningKey } from "ethers";
import mqtt, { type MqttClient } from "mqtt";
import { devTerminalWallet } from "../src/chain/keys";
import { DATA_PERIOD_SECONDS } from "../src/gateway/options";
import { packagesTopic, rejectionsTopic, toWire } from "../src/gateway/wire";
import { loadCase } from "../src/grid/case";
import { initMerkle } from "../src/merkle";
import { NO_FAULTS } from "../src/pipeline/faults";
import { generatePeriod, type GenerationContext } from "../src/pipeline/generate";
import { resolveRunOptions, type RunOptions } from "../src/pipeline/options";
import { generationContext } from "../src/pipeline/run";
import { scenarioTerminals } from "../src/pipeline/scenario";
import { DEFAULT_ZONE, localClock } from "../src/validation/clock";
import { LoadHistory } from "../src/validation/history";
import { readLoadCsv } from "../src/validation/series";

/** What the orchestrator asks of a client. */
export interface ClientJob {
  transport: "mqtt" | "http";
  url: string;
  scenario: Partial<RunOptions>;
  chainId: string;
  /** Indices (among the scenario's producing terminals) this client plays. */
  terminals: number[];
  /** How many terminals produce in all (spreads each terminal's send times over the frame slot). */
  producers: number;
  periodSeconds: number;
  /** Data frames (15 minutes of replayed data each) per gateway period: sets the offered rate. */
  framesPerPeriod: number;
  periods: number;
  /** Seconds after a period's end until which its packages are still sent (within the gateway's grace). */
  lateSeconds: number;
}

export type ToClient = { cmd: "plan"; job: ClientJob } | { cmd: "sign"; startAt: number } | { cmd: "go" };

export interface ClientResult {
  packages: number;
  records: number;
  ackedPackages: number;
  ackedRecords: number;
  rejected: Record<string, number>;
  errors: string[];
  /** Packages not sent because their period had closed (the client fell behind). */
  skippedPackages: number;
  skippedRecords: number;
  /** Per acknowledged package: send -> PUBACK/202, ms. */
  ackMs: number[];
  /** Per package: how late it was sent against its schedule, ms (a terminal waiting for its previous ack). */
  behindMs: number[];
  firstSendMs: number;
  lastAckMs: number;
}

export type FromClient =
  | { event: "planned"; framesToSign: number; msPerFrame: number }
  | { event: "signed"; ms: number; records: number; packages: number }
  | { event: "done"; result: ClientResult };

interface Planned {
  period: number;
  frame: number;
  body: Buffer;
  records: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const send = (m: FromClient) => process.send!(m);

/** The generation context of the job's terminals, at the gateway period and one data frame per call. */
async function context(job: ClientJob) {
  await initMerkle();
  const run = resolveRunOptions({ ...job.scenario, faults: { ...NO_FAULTS } });
  const loaded = loadCase({ case: run.case });
  const all = scenarioTerminals(loaded.name, loaded.grid, run.scenario);
  const producers = all.filter((t) => t.samplesPerPeriod > 0);
  const keys = all.map((t) => new SigningKey(devTerminalWallet(t.terminalId).privateKey));
  const series = readLoadCsv(run.loadFile);
  const prepared = { series, clock: localClock(DEFAULT_ZONE), history: LoadHistory.fromSeries(series) };
  const frames = job.periods * job.framesPerPeriod;
  const gen: GenerationContext = generationContext(
    { ...run, periodSeconds: job.periodSeconds },
    loaded,
    all,
    keys,
    prepared,
    { chainId: BigInt(job.chainId), chainStart: 0 },
    Math.max(frames, 96),
  );
  gen.dataPeriodSeconds = DATA_PERIOD_SECONDS;
  // Only this client's terminals (keys stay aligned with terminals).
  const mine = job.terminals.map((i) => producers[i]);
  gen.terminals = mine;
  gen.keys = mine.map((t) => keys[all.indexOf(t)]);
  return { gen, mine };
}

/**
 * Frame `frame` of gateway period `period`: data frame period * framesPerPeriod + frame (so each terminal's
 * stream moves forward in data time), in the window of the gateway period that starts at `periodStart`.
 */
function frameAt(gen: GenerationContext, job: ClientJob, periodStart: number, period: number, frame: number) {
  const g = period * job.framesPerPeriod + frame;
  gen.chainStart = periodStart - g * job.periodSeconds;
  return generatePeriod(gen, g);
}

async function mqttSender(job: ClientJob, terminalIds: string[], result: ClientResult) {
  const clients = new Map<string, MqttClient>();
  for (const id of terminalIds) {
    const c = await mqtt.connectAsync(job.url, {
      clean: true,
      reconnectPeriod: 0,
      clientId: `bench-${id.slice(2, 18)}`,
    });
    c.on("message", (_topic, payload) => {
      const { reason } = JSON.parse(payload.toString()) as { reason: string };
      result.rejected[reason] = (result.rejected[reason] ?? 0) + 1;
    });
    await c.subscribeAsync(rejectionsTopic(id), { qos: 1 });
    clients.set(id, c);
  }
  return {
    send: async (terminalId: string, body: Buffer): Promise<string | undefined> => {
      await clients.get(terminalId)!.publishAsync(packagesTopic(terminalId), body, { qos: 1 });
      return undefined; // a refusal arrives on the rejections topic (counted there)
    },
    close: async () => {
      await sleep(500); // refusals are published after the PUBACK
      await Promise.all([...clients.values()].map((c) => c.endAsync()));
    },
  };
}

function httpSender(job: ClientJob, terminals: number) {
  const url = new URL("/v1/packages", job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: terminals });
  return {
    send: (_terminalId: string, body: Buffer) =>
      new Promise<string | undefined>((resolve, reject) => {
        const req = request(
          url,
          {
            method: "POST",
            agent,
            headers: { "content-type": "application/json", "content-length": body.length },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              if (res.statusCode === 202) return resolve(undefined);
              try {
                resolve((JSON.parse(Buffer.concat(chunks).toString()) as { reason: string }).reason);
              } catch {
                resolve(`HTTP ${res.statusCode}`);
              }
            });
          },
        );
        req.on("error", reject);
        req.end(body);
      }),
    close: async () => agent.destroy(),
  };
}

async function main() {
  let job: ClientJob | undefined;
  let ctx: Awaited<ReturnType<typeof context>> | undefined;
  let startAt = 0;
  const plans = new Map<string, Planned[]>();
  let records = 0;
  let packages = 0;

  const onMessage = async (m: ToClient) => {
    if (m.cmd === "plan") {
      job = m.job;
      ctx = await context(job);
      // Time one frame (generate, hash, sign, serialise) so the orchestrator can schedule the start.
      const t0 = performance.now();
      for (const g of frameAt(ctx.gen, job, 1_900_000_000, 0, 0)) toWire(g.pkg);
      send({
        event: "planned",
        framesToSign: job.periods * job.framesPerPeriod,
        msPerFrame: performance.now() - t0,
      });
    } else if (m.cmd === "sign") {
      startAt = m.startAt;
      const t0 = performance.now();
      for (const t of ctx!.mine) plans.set(t.terminalId, []);
      for (let p = 0; p < job!.periods; p++) {
        for (let f = 0; f < job!.framesPerPeriod; f++) {
          for (const g of frameAt(ctx!.gen, job!, startAt + p * job!.periodSeconds, p, f)) {
            const body = Buffer.from(toWire(g.pkg));
            plans.get(g.pkg.terminalId)!.push({ period: p, frame: f, body, records: g.pkg.records.length });
            records += g.pkg.records.length;
            packages++;
          }
        }
      }
      send({ event: "signed", ms: performance.now() - t0, records, packages });
    } else if (m.cmd === "go") {
      send({
        event: "done",
        result: await play(
          job!,
          startAt,
          plans,
          ctx!.mine.map((t) => t.terminalId),
        ),
      });
      process.disconnect();
    }
  };
  process.on("message", (m: ToClient) => {
    onMessage(m).catch((e) => {
      console.error(e);
      process.exit(1);
    });
  });
}

/** Every terminal sends its packages on schedule, one in flight at a time; returns what was acknowledged. */
async function play(job: ClientJob, startAt: number, plans: Map<string, Planned[]>, ids: string[]) {
  const result: ClientResult = {
    packages: 0,
    records: 0,
    ackedPackages: 0,
    ackedRecords: 0,
    rejected: {},
    errors: [],
    skippedPackages: 0,
    skippedRecords: 0,
    ackMs: [],
    behindMs: [],
    firstSendMs: Infinity,
    lastAckMs: 0,
  };
  const sender = job.transport === "mqtt" ? await mqttSender(job, ids, result) : httpSender(job, ids.length);
  const slotMs = (job.periodSeconds * 1000) / job.framesPerPeriod;
  await Promise.all(
    ids.map(async (terminalId, k) => {
      const phase = job.terminals[k] / job.producers;
      for (const p of plans.get(terminalId)!) {
        const periodStartMs = (startAt + p.period * job.periodSeconds) * 1000;
        const dueMs = periodStartMs + (p.frame + phase) * slotMs;
        if (Date.now() < dueMs) await sleep(dueMs - Date.now());
        if (Date.now() > periodStartMs + (job.periodSeconds + job.lateSeconds) * 1000) {
          result.skippedPackages++;
          result.skippedRecords += p.records;
          continue;
        }
        result.behindMs.push(Date.now() - dueMs);
        result.packages++;
        result.records += p.records;
        const sentAt = Date.now();
        result.firstSendMs = Math.min(result.firstSendMs, sentAt);
        const t0 = performance.now();
        try {
          const refused = await sender.send(terminalId, p.body);
          result.ackMs.push(performance.now() - t0);
          result.lastAckMs = Math.max(result.lastAckMs, Date.now());
          if (refused) result.rejected[refused] = (result.rejected[refused] ?? 0) + 1;
          else {
            result.ackedPackages++;
            result.ackedRecords += p.records;
          }
        } catch (e) {
          result.errors.push((e as Error).message);
        }
      }
    }),
  );
  await sender.close();
  return result;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
