import { gridTask } from "../common/gridTask";
import { load } from "../common/lazy";

export const EXPERIMENT_DEFAULTS = Object.freeze({
  cases: "14,30,39,57,118",
  out: "out/experiment",
  algorithms: "QT-DR,QT-DR+LS,QoS-R,RA-DBMM,SP",
});

export interface ExperimentTaskOptions {
  cases: string;
  out: string;
  algorithms: string;
  /** Model overrides: inline JSON or a JSON file, {"network": {...}, "routing": {...}}. */
  model?: string;
  /** Prove lower bounds per case (HiGHS). */
  bounds: boolean;
  /** Sweep and plot the (block time, LB_net) frontier per case. */
  frontier: boolean;
  /** "auto" or a count: cut each case into zones, each with its own generator, against a BFS partition. */
  zones?: string;
}

/** Runs the P003/P000 experiment and writes results.json, the SVG figures and report.md. */
export async function runExperimentTask(opts: ExperimentTaskOptions): Promise<void> {
  const { runExperiment } = load.routing.experiment();
  const { parseModelOverrides } = load.routing.inputs();
  const { parseAlgorithmNames } = load.routing.algorithms();
  const { parseZoneCount } = load.routing.zones();
  const model = parseModelOverrides(opts.model);
  const cases = opts.cases
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
  const res = await runExperiment({
    cases,
    outDir: opts.out,
    algorithms: parseAlgorithmNames(opts.algorithms),
    routing: model.routing,
    network: model.network,
    sourceRule: model.sources,
    bounds: opts.bounds,
    frontier: opts.frontier,
    zones: opts.zones === undefined ? undefined : parseZoneCount(opts.zones),
  });
  for (const f of res.frontiers ?? []) {
    console.log(
      `${f.case}: frontier ${f.frontier.map((p) => `(${p.blockTimeMs.toFixed(0)} ms, ${p.lbNet.toFixed(2)})`).join(" ")}; ` +
        `P003's joint claim holds for QT-DR: ${f.jointClaim.byQtdr ? "yes" : "no"}, for some routing: ${f.jointClaim.bySomeRouting ? "yes" : "no"}`,
    );
  }
  for (const z of res.zones ?? []) {
    console.log(
      `${z.case}: ${z.zones.k} zone${z.zones.k === 1 ? "" : "s"} (--zones ${z.requested}), ${z.zones.deadlineViolations} deadline violations, slowest zone ${z.zones.maxBlockTimeMs.toFixed(0)} ms, ` +
        `LB_net ${z.zones.lbNet.toFixed(2)}; BFS baseline with the same k: ${z.baseline.deadlineViolations} violations`,
    );
  }
  for (const r of res.reductions) {
    const cells = Object.entries(r.lbNet).map(([k, v]) => `${k} ${v === null ? "n/a" : `${(v * 100).toFixed(1)}%`}`);
    console.log(`${r.case}: LB_net reduction ${cells.join(", ")}`);
  }
  console.log(`Wrote ${res.files.length} files to ${opts.out} (report.md, results.json, SVG figures)`);
}

gridTask("experiment", "Reproduce P003 Figs. 9-12 / Table 3 and P000's imbalance comparison on IEEE cases", (t) =>
  t
    .addOptionalParam("cases", "comma-separated cases", EXPERIMENT_DEFAULTS.cases)
    .addOptionalParam("out", "output folder", EXPERIMENT_DEFAULTS.out)
    .addOptionalParam("algorithms", "comma-separated algorithms", EXPERIMENT_DEFAULTS.algorithms)
    .addOptionalParam("model", 'model overrides, inline JSON or file: {"network":{...},"routing":{...}}')
    .addFlag("bounds", "prove lower bounds on LB_net and max utilisation per case (HiGHS)")
    .addFlag("frontier", "sweep the optimiser's (block time, LB_net) frontier per case; writes frontier-<case>.svg")
    .addOptionalParam("zones", "auto | k: cut each case into zones, each with its own generator, vs a BFS partition")
    .setAction(async (args: ExperimentTaskOptions) => {
      await runExperimentTask(args);
    }),
);
