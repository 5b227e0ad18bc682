/**
 * A zoned gateway at scale (issue 15 part 4), end to end. Writes bench/results/zones-serve.json.
 *
 * A fresh anvil; `hardhat grid:serve --zones <k|auto>` on a large case (dev setup: every terminal of the case
 * registered with its dev key, each zone electing its generator among its node terminals every period); then
 * `hardhat grid:terminals` plays every terminal of the case against it for a few periods (seeded faults on).
 * Checked, and the run fails when one does not hold:
 * - every acknowledged package is journaled and processed, and every record anchored or quarantined;
 * - each confirmed batch of zone z was signed by a node terminal of zone z, and anchored on that terminal's stream;
 * - one record of every batch verifies against the chain (its proof from GET /v1/records);
 * - the zone plan's routing reports no deadline violation in any period.
 * Reported: terminals, k, registration and start-up wall time, records/s, ack latency, received -> anchored lag,
 * gateway RSS and CPU, and the machine's load.
 *
 *   npm run bench:zones-serve [-- --case case2383wp --zones auto --periods 3 --period 60 --grace 20 --transport http]
 *   (ZONES_SERVE_LOG=<file> appends the gateway's log lines there, each after its arrival time in ms)
 */
import { spawn } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { JsonRpcProvider } from "ethers";
import { connectCore } from "../src/chain/contracts";
import { listBatches } from "../src/chain/streams";
import { verifyRecordOnChain } from "../src/chain/verify";
import { freePort, startAnvil, type AnvilHandle } from "../src/devnet/anvil";
import type { TerminalsReport } from "../src/gateway/terminals";
import { DATA_PERIOD_SECONDS } from "../src/gateway/options";
import type { RecordProof } from "../src/merkle";
import { journalFigures, procSample, round, settle, startGatewayProcess } from "./lib/gatewayProcess";

const RESULTS_FILE = join(__dirname, "results", "zones-serve.json");

function arg(flag: string, fallback: string): string {
  const i = process.argv.indexOf(flag);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

function intArg(flag: string, fallback: number, min: number): number {
  const raw = arg(flag, String(fallback));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be a whole number >= ${min}, got ${raw}`);
  return n;
}

/** `hardhat grid:terminals` against the gateway; resolves with its report. */
function playTerminals(anvil: AnvilHandle, gateway: string, o: BenchOptions, out: string): Promise<TerminalsReport> {
  const child = spawn(
    process.execPath,
    [
      require.resolve("hardhat/internal/cli/cli"),
      "grid:terminals",
      "--network",
      "anvil",
      "--gateway",
      gateway,
      "--case",
      o.case,
      "--speed",
      String(DATA_PERIOD_SECONDS / o.period),
      "--periods",
      String(o.periods),
      "--out",
      out,
    ],
    { env: { ...process.env, ANVIL_URL: anvil.url }, stdio: ["ignore", "pipe", "inherit"] },
  );
  child.stdout!.on("data", (d: Buffer) => process.stdout.write(`  [terminals] ${d.toString()}`));
  return new Promise((resolve, reject) =>
    child.once("exit", (code) =>
      code === 0
        ? resolve(JSON.parse(readFileSync(out, "utf8")) as TerminalsReport)
        : reject(new Error(`grid:terminals exited with ${code}`)),
    ),
  );
}

interface BenchOptions {
  case: string;
  zones: string;
  periods: number;
  period: number;
  grace: number;
  transport: "http" | "mqtt";
}

interface ZonePlanFile {
  k: number;
  zones: { zone: number; buses: number[]; nodeTerminals: { bus: number; terminalId: string }[] }[];
}

/** The checks of the run against the journal, the zone plan and the chain; every failure is listed. */
async function audit(dataDir: string, httpUrl: string, provider: JsonRpcProvider, report: TerminalsReport) {
  const failures: string[] = [];
  const db = new Database(join(dataDir, "journal.sqlite"), { readonly: true });
  const plan = JSON.parse(readFileSync(join(dataDir, "zone-plan.json"), "utf8")) as ZonePlanFile;
  try {
    const packages = new Map(
      (db.prepare("SELECT package_id AS id, processed FROM packages").all() as { id: string; processed: number }[]).map(
        (p) => [p.id.toLowerCase(), p.processed],
      ),
    );
    const acked = report.sent.filter((s) => s.outcome === "acked");
    const lost = acked.filter((s) => s.packageId !== undefined && packages.get(s.packageId.toLowerCase()) !== 1);
    if (lost.length > 0) failures.push(`${lost.length} acknowledged packages not journaled and processed`);
    const open = db
      .prepare("SELECT COUNT(*) AS n FROM records WHERE status NOT IN ('anchored', 'quarantined')")
      .get() as {
      n: number;
    };
    if (open.n > 0) failures.push(`${open.n} records neither anchored nor quarantined`);

    const zoneOfTerminal = new Map<string, number>();
    for (const z of plan.zones) for (const t of z.nodeTerminals) zoneOfTerminal.set(t.terminalId.toLowerCase(), z.zone);
    const batches = db
      .prepare("SELECT batch_key AS batchKey, root, terminal_id AS terminalId, state FROM batches")
      .all() as { batchKey: string; root: string; terminalId: string; state: string }[];
    const chain = JSON.parse(
      (db.prepare("SELECT value FROM meta WHERE key = 'chain'").get() as { value: string }).value,
    ) as { contracts: Record<string, string> };
    const core = connectCore(
      { registry: chain.contracts.TerminalRegistry, acquisition: chain.contracts.DataAcquisition },
      provider,
    );
    const onChain = new Map(
      (await listBatches(core.acquisition)).map((b) => [b.merkleRoot.toLowerCase(), b.terminalId.toLowerCase()]),
    );
    const generators = new Map<number, Set<string>>();
    let verified = 0;
    for (const b of batches) {
      const zone = Number(/-z(\d{3})-/.exec(b.batchKey)?.[1] ?? -1);
      const terminal = b.terminalId.toLowerCase();
      if (b.state !== "confirmed") failures.push(`${b.batchKey} is ${b.state}, not confirmed`);
      if (zoneOfTerminal.get(terminal) !== zone)
        failures.push(`${b.batchKey} signed by ${terminal}, a terminal of zone ${zoneOfTerminal.get(terminal)}`);
      if (onChain.get(b.root.toLowerCase()) !== terminal)
        failures.push(`${b.batchKey}: root ${b.root} is on the stream of ${onChain.get(b.root.toLowerCase())}`);
      generators.set(zone, (generators.get(zone) ?? new Set()).add(terminal));
      const batch = (await (await fetch(new URL(`/v1/batches/${b.root}`, httpUrl))).json()) as { recordIds: string[] };
      const rec = (await (
        await fetch(new URL(`/v1/records/${encodeURIComponent(batch.recordIds[0])}`, httpUrl))
      ).json()) as { proof: RecordProof };
      const verdict = await verifyRecordOnChain(core, rec.proof.record, [rec.proof]);
      if (verdict.anchored) verified++;
      else failures.push(`${b.batchKey}: record ${batch.recordIds[0]} does not verify: ${verdict.reason}`);
    }
    const periods = db.prepare("SELECT period, routing FROM periods ORDER BY period").all() as {
      period: number;
      routing: string;
    }[];
    const violations = periods.map((p) => {
      const zones = (JSON.parse(p.routing) as { zones?: { deadlineViolations: number } }).zones;
      if (!zones) failures.push(`period ${p.period} was not routed by zones`);
      return { period: p.period, deadlineViolations: zones?.deadlineViolations ?? NaN };
    });
    for (const v of violations)
      if (v.deadlineViolations !== 0) failures.push(`period ${v.period}: ${v.deadlineViolations} deadline violations`);
    return {
      failures,
      k: plan.k,
      zonesWithBatches: generators.size,
      batches: batches.length,
      proofsVerified: verified,
      generatorsPerZone: { max: Math.max(...[...generators.values()].map((s) => s.size)) },
      periods: violations,
    };
  } finally {
    db.close();
  }
}

async function main() {
  const o: BenchOptions = {
    case: arg("--case", "case2383wp"),
    zones: arg("--zones", "auto"),
    periods: intArg("--periods", 3, 1),
    period: intArg("--period", 60, 5),
    grace: intArg("--grace", 20, 1),
    transport: arg("--transport", "http") === "mqtt" ? "mqtt" : "http",
  };
  const load = { start: loadavg().map((x) => round(x, 2)), end: [] as number[] };
  const work = mkdtempSync(join(tmpdir(), "gridledger-zones-serve-"));
  const dataDir = join(work, "gateway");
  mkdirSync(dataDir);
  const anvil = await startAnvil({ port: await freePort() });
  const provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const t0 = Date.now();
  let registrationSeconds = NaN;
  let terminalsRegistered = 0;
  const gateway = await startGatewayProcess(anvil, {
    period: o.period,
    grace: o.grace,
    dataDir,
    verbose: true,
    args: ["--case", o.case, "--zones", o.zones],
    onLine: (line) => {
      if (process.env.ZONES_SERVE_LOG) appendFileSync(process.env.ZONES_SERVE_LOG, `${Date.now()} ${line}\n`);
      if (/failed|retrying|stopped|skipped|no usable/.test(line)) console.log(`  [gateway] ${line.slice(0, 300)}`);
      const m = /registered (\d+) terminals in ([0-9.]+) s/.exec(line);
      if (m) [terminalsRegistered, registrationSeconds] = [Number(m[1]), Number(m[2])];
    },
  });
  const startupMs = Date.now() - t0;
  console.log(
    `gateway up in ${round(startupMs / 1000)} s (of which registering ${terminalsRegistered} terminals: ${registrationSeconds} s)`,
  );
  try {
    const pid = gateway.process.pid!;
    const rss: number[] = [];
    const cpuStart = procSample(pid).cpuSec;
    const sampler = setInterval(() => rss.push(procSample(pid).rssMb), 1000);
    const serveStart = Date.now();
    const url = o.transport === "mqtt" ? gateway.mqtt : gateway.http;
    const report = await playTerminals(anvil, url, o, join(work, "terminals.json"));
    const settled = await settle(gateway.http, (3 * o.period + 120) * 1000);
    const serveMs = Date.now() - serveStart;
    clearInterval(sampler);
    const cpuSec = procSample(pid).cpuSec - cpuStart;
    load.end = loadavg().map((x) => round(x, 2));
    const journal = journalFigures(dataDir, o.period);
    const checks = await audit(dataDir, gateway.http, provider, report);
    if (!settled) checks.failures.unshift("the gateway did not settle (backlog left)");
    const errors: Record<string, number> = {};
    for (const e of report.sent.filter((x) => x.outcome === "error"))
      errors[(e.reason ?? "?").slice(0, 80)] = (errors[(e.reason ?? "?").slice(0, 80)] ?? 0) + 1;
    if (report.errors > 0) checks.failures.push(`${report.errors} packages got no answer: ${JSON.stringify(errors)}`);
    const acked = report.sent.filter((s) => s.outcome === "acked");
    const records = acked.reduce((n, s) => n + s.records, 0);
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, loadAverage: load },
      options: o,
      terminals: new Set(report.sent.map((s) => s.terminalId)).size,
      zones: {
        k: checks.k,
        zonesWithBatches: checks.zonesWithBatches,
        maxGeneratorsPerZone: checks.generatorsPerZone.max,
      },
      wallSeconds: {
        registration: registrationSeconds,
        startup: round(startupMs / 1000),
        serve: round(serveMs / 1000),
      },
      terminalsRegistered,
      packages: { sent: report.packages, acked: acked.length, rejected: report.rejected, errors },
      records: { acked: records, perSec: Math.round(records / (o.periods * o.period)), byFate: journal.records },
      quarantineReasons: journal.quarantineReasons,
      ackMs: report.ackMs,
      anchorLagPeriods: journal.lag,
      batches: { confirmed: journal.batches, proofsVerified: checks.proofsVerified },
      deadlineViolations: checks.periods,
      gateway: {
        rssMb: { start: round(rss[0] ?? NaN), max: round(Math.max(...rss)), end: round(rss.at(-1) ?? NaN) },
        cpuSeconds: round(cpuSec),
      },
      failures: checks.failures,
    };
    mkdirSync(join(__dirname, "results"), { recursive: true });
    writeFileSync(RESULTS_FILE, JSON.stringify(result, null, 2) + "\n");
    console.log(
      `${result.terminals} terminals in ${checks.k} zones: registration ${result.wallSeconds.registration} s, start-up ${result.wallSeconds.startup} s; ` +
        `${o.periods} periods of ${o.period} s served in ${result.wallSeconds.serve} s: ${records} records acked (${result.records.perSec}/s), ` +
        `ack p50 ${round(report.ackMs.p50)} ms p99 ${round(report.ackMs.p99)} ms, lag p50 ${journal.lag.p50} p99 ${journal.lag.p99} periods, ` +
        `${journal.batches} batches confirmed, ${checks.proofsVerified} proofs verified, RSS max ${result.gateway.rssMb.max} MB, ` +
        `load ${load.start[0]} -> ${load.end[0]}`,
    );
    console.log(`wrote ${RESULTS_FILE}`);
    if (checks.failures.length > 0) {
      console.error(`FAILED:\n  ${checks.failures.slice(0, 40).join("\n  ")}`);
      process.exitCode = 1;
    }
  } finally {
    await gateway.stop();
    provider.destroy();
    await anvil.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
