import { ChartSpec } from "../plot/render";
import { mm1k } from "./mm1k";
import { simulateMm1k } from "./simulate";

export interface SweepOptions {
  /** Service rate, packets/s; loads are swept as lambda = rho * mu. */
  mu: number;
  rhos: readonly number[];
  Ks: readonly number[];
  /** When set, also simulate these loads for every K. */
  simulate: { rhos: readonly number[]; packets: number; seed: number } | null;
}

/** rho from 0.05 to 2 in steps of 0.05, for K in {1, 5, 10, 50}; simulation at the test grid's loads. */
export const DEFAULT_SWEEP: Readonly<SweepOptions> = Object.freeze({
  mu: 1,
  rhos: Array.from({ length: 40 }, (_, i) => Math.round((i + 1) * 5) / 100),
  Ks: [1, 5, 10, 50],
  simulate: null,
});

export interface SweepRow {
  kind: "closed form" | "simulation";
  rho: number;
  K: number;
  pLoss: number;
  /** Sojourn time, s. */
  tDelay: number;
  /** Sojourn time in mean service times (tDelay * mu), comparable across service rates. */
  tDelayService: number;
  L: number;
}

export function queueSweep(opts: SweepOptions): SweepRow[] {
  const rows: SweepRow[] = [];
  for (const K of opts.Ks) {
    for (const rho of opts.rhos) {
      const q = mm1k(rho * opts.mu, opts.mu, K);
      rows.push({
        kind: "closed form",
        rho,
        K,
        pLoss: q.pLoss,
        tDelay: q.tDelay,
        tDelayService: q.tDelay * opts.mu,
        L: q.L,
      });
    }
    for (const rho of opts.simulate?.rhos ?? []) {
      const s = simulateMm1k({
        lambda: rho * opts.mu,
        mu: opts.mu,
        K,
        packets: opts.simulate!.packets,
        seed: opts.simulate!.seed,
      });
      rows.push({
        kind: "simulation",
        rho,
        K,
        pLoss: s.pLoss,
        tDelay: s.tDelay,
        tDelayService: s.tDelay * opts.mu,
        L: s.L,
      });
    }
  }
  return rows;
}

export function sweepCsv(rows: readonly SweepRow[]): string {
  const header = "kind,rho,K,p_loss,t_delay_s,t_delay_service_times,L";
  const lines = rows.map((r) => [r.kind, r.rho, r.K, r.pLoss, r.tDelay, r.tDelayService, r.L].join(","));
  return [header, ...lines].join("\n") + "\n";
}

/** P_loss and T_delay against rho, one line per K, simulated points as dots. */
export function sweepSpec(rows: readonly SweepRow[]): ChartSpec {
  const data = rows.map((r) => ({ ...r, K: `K = ${r.K}` }));
  const Ks = [...new Set(data.map((r) => r.K))];
  const panel = (field: string, title: string, log: boolean): ChartSpec => ({
    width: 420,
    height: 300,
    layer: [
      {
        transform: [{ filter: "datum.kind === 'closed form'" }],
        mark: { type: "line", strokeWidth: 2 },
        encoding: {
          x: { field: "rho", type: "quantitative", title: "ρ = λ / μ" },
          y: { field, type: "quantitative", title, scale: log ? { type: "log" } : {} },
          color: { field: "K", type: "nominal", sort: Ks, title: "buffer" },
        },
      },
      {
        transform: [{ filter: "datum.kind === 'simulation'" }],
        mark: { type: "point", shape: "diamond", size: 80, filled: true, stroke: "black", strokeWidth: 0.6 },
        encoding: {
          x: { field: "rho", type: "quantitative" },
          y: { field, type: "quantitative", scale: log ? { type: "log" } : {} },
          color: { field: "K", type: "nominal", sort: Ks },
        },
      },
    ],
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "M/M/1/K: closed forms (lines) and seeded simulation (diamonds)",
    background: "white",
    data: { values: data },
    hconcat: [panel("pLoss", "P_loss", false), panel("tDelayService", "T_delay (mean service times, log)", true)],
    config: { font: "DejaVu Sans", axis: { labelFontSize: 12, titleFontSize: 13 }, legend: { labelFontSize: 12 } },
  };
}
