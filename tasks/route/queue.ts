import { types } from "hardhat/config";
import { gridTask } from "../common/gridTask";
import { load } from "../common/lazy";

export const QUEUE_DEFAULTS = Object.freeze({ packets: 1_000_000, seed: 1, out: "out/queue" });

export interface QueueTaskOptions {
  /** Arrival rate, packets/s. */
  lambda?: number;
  /** Service rate, packets/s. */
  mu?: number;
  /** Buffer size in packets. */
  k?: number;
  simulate: boolean;
  packets: number;
  seed: number;
  sweep: boolean;
  out: string;
}

/** One queue: closed forms, plus a seeded simulation when asked. */
export function runQueueOnce(opts: QueueTaskOptions): void {
  const { mm1k } = load.queueing.mm1k();
  const { simulateMm1k } = load.queueing.simulate();
  const { lambda, mu, k } = opts;
  if (lambda === undefined || mu === undefined || k === undefined) {
    throw new Error("grid:queue needs --lambda, --mu and --k (or --sweep)");
  }
  const q = mm1k(lambda, mu, k);
  const rows: Record<string, Record<string, string>> = {
    "closed form": {
      rho: q.rho.toFixed(4),
      P_loss: q.pLoss.toExponential(4),
      T_delay_s: q.tDelay.toExponential(4),
      L: q.L.toFixed(4),
    },
  };
  if (opts.simulate) {
    const s = simulateMm1k({ lambda, mu, K: k, packets: opts.packets, seed: opts.seed });
    rows[`simulation (${opts.packets} packets, seed ${opts.seed})`] = {
      rho: q.rho.toFixed(4),
      P_loss: `${s.pLoss.toExponential(4)} ± ${s.pLossStdErr.toExponential(1)}`,
      T_delay_s: `${s.tDelay.toExponential(4)} ± ${s.tDelayStdErr.toExponential(1)}`,
      L: s.L.toFixed(4),
    };
  }
  console.table(rows);
}

/** Sweeps rho for several K and writes sweep.csv and sweep.svg. */
export async function runQueueSweep(opts: QueueTaskOptions): Promise<string[]> {
  const { DEFAULT_SWEEP, queueSweep, sweepCsv, sweepSpec } = load.queueing.sweep();
  const { writeSvg } = load.plot.render();
  const { mkdirSync, writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const rows = queueSweep({
    ...DEFAULT_SWEEP,
    mu: opts.mu ?? DEFAULT_SWEEP.mu,
    Ks: opts.k !== undefined ? [opts.k] : DEFAULT_SWEEP.Ks,
    simulate: opts.simulate ? { rhos: [0.3, 0.8, 1.0, 1.5], packets: opts.packets, seed: opts.seed } : null,
  });
  mkdirSync(opts.out, { recursive: true });
  const csv = join(opts.out, "sweep.csv");
  writeFileSync(csv, sweepCsv(rows));
  const svg = await writeSvg(join(opts.out, "sweep.svg"), sweepSpec(rows));
  console.log(`Wrote ${csv} and ${svg}`);
  return [csv, svg];
}

gridTask(
  "queue",
  "M/M/1/K terminal queue: P_loss, T_delay, L and rho (closed forms, optional simulation, or a sweep)",
  (t) =>
    t
      .addOptionalParam("lambda", "arrival rate, packets/s", undefined, types.float)
      .addOptionalParam("mu", "service rate, packets/s", undefined, types.float)
      .addOptionalParam("k", "buffer size K in packets", undefined, types.int)
      .addFlag("simulate", "also run the seeded discrete-event simulation")
      .addOptionalParam("packets", "simulated packets", QUEUE_DEFAULTS.packets, types.int)
      .addOptionalParam("seed", "simulation seed", QUEUE_DEFAULTS.seed, types.int)
      .addFlag("sweep", "sweep rho in 0.05..2 for K in {1,5,10,50} (or --k) and write sweep.csv + sweep.svg")
      .addOptionalParam("out", "output folder for --sweep", QUEUE_DEFAULTS.out, types.string)
      .setAction(async (args: QueueTaskOptions) => {
        if (args.sweep) await runQueueSweep(args);
        else runQueueOnce(args);
      }),
);
