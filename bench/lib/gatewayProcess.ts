/**
 * A `grid:serve` process on anvil for the gateway benches (bench:gateway, bench:zones-serve), its /proc figures and
 * what its journal says after a run: records by fate and the received -> anchored lag.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { freePort, type AnvilHandle } from "../../src/devnet/anvil";

/** The page size of Linux /proc/<pid>/stat times (USER_HZ). */
const CLOCK_TICKS = 100;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** CPU seconds (user + system) and resident memory of a process, from /proc. */
export function procSample(pid: number): { cpuSec: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields after "(comm)": state is 3, utime 14, stime 15 (1-based in proc(5)), so indices 11 and 12 here.
  const cpuSec = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return { cpuSec, rssMb: rss ? Number(rss[1]) / 1024 : NaN };
}

export interface Gateway {
  process: ChildProcess;
  http: string;
  mqtt: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** Options of a `grid:serve` process for a bench. */
export interface GatewayProcessOptions {
  period: number;
  grace: number;
  dataDir: string;
  profileDir?: string;
  heapMb?: number;
  /** V8's young-generation semi-space, MB (`--max-semi-space-size`): short-lived garbage dies there. */
  semiSpaceMb?: number;
  /** More grid:serve arguments (--case, --zones ...). */
  args?: string[];
  /** Log at info level (default: --quiet). */
  verbose?: boolean;
  /** Each line the process prints on stdout, with when it arrived. */
  onLine?: (line: string, atMs: number) => void;
}

/** `hardhat grid:serve` on anvil as its own process; resolves once it prints its listening line. */
export async function startGatewayProcess(anvil: AnvilHandle, opts: GatewayProcessOptions): Promise<Gateway> {
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, ANVIL_URL: anvil.url };
  const child = spawn(
    process.execPath,
    [
      ...(opts.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.profileDir}`] : []),
      ...(opts.heapMb ? [`--max-old-space-size=${opts.heapMb}`] : []),
      ...(opts.semiSpaceMb ? [`--max-semi-space-size=${opts.semiSpaceMb}`] : []),
      require.resolve("hardhat/internal/cli/cli"),
      "grid:serve",
      "--network",
      "anvil",
      "--period",
      String(opts.period),
      "--grace",
      String(opts.grace),
      "--http-port",
      String(httpPort),
      "--mqtt-port",
      String(mqttPort),
      "--data-dir",
      opts.dataDir,
      ...(opts.verbose ? [] : ["--quiet"]),
      ...(opts.args ?? []),
    ],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const listening = await new Promise<{ http: string; mqtt: string }>((resolve, reject) => {
    let partial = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const lines = (partial + d.toString()).split("\n");
      partial = lines.pop()!;
      for (const line of lines) opts.onLine?.(line, Date.now());
      const line = out.split("\n").find((l) => l.includes('"listening"'));
      if (line) resolve(JSON.parse(line) as { http: string; mqtt: string });
    });
    child.once("exit", (code) => reject(new Error(`grid:serve exited (${code}) before listening:\n${out}\n${err}`)));
  });
  return {
    process: child,
    ...listening,
    dataDir: opts.dataDir,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.once("exit", () => (clearTimeout(kill), resolve()));
        child.kill("SIGTERM");
      }),
  };
}

/** Waits until the gateway holds nothing journaled that is not anchored or quarantined. */
export async function settle(httpUrl: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const h = (await (await fetch(new URL("/v1/health", httpUrl))).json()) as { backlog: { records: number } };
    if (h.backlog.records === 0) return true;
    await sleep(500);
  }
  return false;
}

/** From the journal: records by fate, and each package's arrival to its period's last batch confirmed. */
export function journalFigures(dataDir: string, periodSeconds: number) {
  const db = new Database(join(dataDir, "journal.sqlite"), { readonly: true });
  try {
    const confirmed = new Map<number, number>();
    for (const r of db
      .prepare(
        `SELECT b.period AS period, MAX(t.at) AS at FROM transitions t JOIN batches b ON b.batch_key = t.batch_key
         WHERE t.state = 'confirmed' GROUP BY b.period`,
      )
      .all() as { period: number; at: string }[])
      confirmed.set(r.period, Date.parse(r.at));
    const lags: { lag: number; weight: number }[] = [];
    let unanchoredPackages = 0;
    for (const p of db.prepare("SELECT period, received_ms AS receivedMs, record_count AS n FROM packages").all() as {
      period: number;
      receivedMs: number;
      n: number;
    }[]) {
      const at = confirmed.get(p.period);
      if (at === undefined) unanchoredPackages++;
      else lags.push({ lag: (at - p.receivedMs) / 1000 / periodSeconds, weight: p.n });
    }
    const counts = db.prepare("SELECT status, COUNT(*) AS n FROM records GROUP BY status").all() as {
      status: string;
      n: number;
    }[];
    const reasons = db
      .prepare("SELECT reason, COUNT(*) AS n FROM records WHERE status = 'quarantined' GROUP BY reason")
      .all() as { reason: string; n: number }[];
    return {
      lag: weightedPercentiles(lags),
      unanchoredPackages,
      records: Object.fromEntries(counts.map((c) => [c.status, c.n])) as Record<string, number>,
      quarantineReasons: Object.fromEntries(reasons.map((r) => [r.reason, r.n])),
      batches: (db.prepare("SELECT COUNT(*) AS n FROM batches WHERE state = 'confirmed'").get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
}

function weightedPercentiles(xs: { lag: number; weight: number }[]) {
  const sorted = [...xs].sort((a, b) => a.lag - b.lag);
  const total = sorted.reduce((n, x) => n + x.weight, 0);
  const at = (q: number) => {
    let seen = 0;
    for (const x of sorted) if ((seen += x.weight) >= q * total) return x.lag;
    return sorted.at(-1)?.lag ?? 0;
  };
  return { p50: round(at(0.5), 2), p99: round(at(0.99), 2), max: round(sorted.at(-1)?.lag ?? 0, 2) };
}
