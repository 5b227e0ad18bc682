/**
 * Validation benchmark (issue 4): train on 2012, validate on the first half of 2013, test on the second
 * half. Reports MAPE/RMSE of SVR, ELM and seasonal naive, detection of injected anomalies over five
 * seeds, fit times (including a fit on all ~17.4k rows of the file), search time and throughput.
 * Writes bench/results/validation.json.
 *
 *   npm run bench:validation
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseLocalDate } from "../src/validation/clock";
import { buildDataset } from "../src/validation/dataset";
import { Forecaster } from "../src/validation/model";
import { prepare, runValidation, type ValidationReport } from "../src/validation/run";
import { trainValidatorModel } from "../src/validation/train";
import { streamValidate, type AnomalyReport } from "../src/validation/stream";
import type { AnomalyKind } from "../src/validation/inject";
import { StreamingValidator, type Reading } from "../src/validation/validator";
import { LoadHistory } from "../src/validation/history";

const DATA = "data/load/gefcom2014e_2012_2013.csv";
const RANGES = {
  trainFrom: "2012-01-01",
  trainTo: "2012-12-31",
  valFrom: "2013-01-01",
  valTo: "2013-06-30",
  testFrom: "2013-07-01",
  testTo: "2013-12-31",
};
const SEEDS = [1, 2, 3, 4, 5];
/** Injection seeds for the validation half-year, where the detector settings are chosen (never the test seeds). */
const VAL_SEEDS = [101, 102, 103, 104, 105];
/** Terminals sharing each timestamp in the pipeline-like throughput run (IEEE 39 has 39 buses). */
const SOURCES = 39;
const TARGETS = {
  mapeRatio: 0.7,
  recall: 0.95,
  precision: 0.9,
  finalFitMs: 60_000,
  searchMs: 300_000,
  checksPerS: 50_000,
};
const RESULTS_FILE = join(__dirname, "results", "validation.json");
/** Detector settings swept to show the precision/recall frontier (defaults: k 3, levelK 4, chosen on validation). */
const SWEEP_K = [2.5, 3, 4];
const SWEEP_LEVEL_K = [3, 4, 5];

interface OperatingPoint {
  k: number;
  levelK: number;
  precision: number;
  recall: number;
  cleanFlags: number;
}

/** Every (k, levelK) of the sweep: mean precision and recall over the injected runs, flags on the clean run. */
async function sweep(
  evaluate: (validator: { k: number; levelK: number }) => Promise<{ injected: AnomalyReport[]; clean: AnomalyReport }>,
): Promise<OperatingPoint[]> {
  const points: OperatingPoint[] = [];
  for (const k of SWEEP_K) {
    for (const levelK of SWEEP_LEVEL_K) {
      const { injected, clean } = await evaluate({ k, levelK });
      points.push({
        k,
        levelK,
        precision: mean(injected.map((x) => x.precision ?? 0)),
        recall: mean(injected.map((x) => x.recall ?? 0)),
        cleanFlags: clean.flagged,
      });
    }
  }
  return points;
}

/** Labelled and detected readings per anomaly kind, summed over runs. */
function recallByKind(kinds: readonly AnomalyKind[], reports: readonly AnomalyReport[]) {
  return Object.fromEntries(
    kinds.map((k) => {
      const detected = reports.reduce((a, r) => a + (r.byKind[k]?.detected ?? 0), 0);
      const labelled = reports.reduce((a, r) => a + (r.byKind[k]?.labelled ?? 0), 0);
      return [k, { labelled, detected, recall: detected / labelled }];
    }),
  ) as Record<AnomalyKind, { labelled: number; detected: number; recall: number }>;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

async function main(): Promise<void> {
  const log = (m: string): void => console.error(`  ${m}`);
  const dir = mkdtempSync(join(tmpdir(), "bench-validation-"));
  const modelPath = join(dir, "model.json");

  console.error("1. full preset: search, calibration, final fit, test (seed 1)");
  const t0 = Date.now();
  const first = await runValidation({ data: DATA, ...RANGES, inject: SEEDS[0], modelOut: modelPath, log });
  const pipelineMs = Date.now() - t0;
  const runs: ValidationReport[] = [first];
  for (const seed of SEEDS.slice(1)) {
    runs.push(await runValidation({ data: DATA, ...RANGES, inject: seed, modelIn: modelPath }));
  }
  const clean = await runValidation({ data: DATA, ...RANGES, modelIn: modelPath });
  const tr = first.training!;

  console.error("2. fits on the whole file (2012-2013): sampled (default) and all rows");
  const p = await prepare({ data: DATA, trainFrom: "2012-01-01", trainTo: "2013-12-31", modelIn: modelPath });
  const params = p.model.svr.params;
  const fit = async (maxTrainRows: number) =>
    (
      await trainValidatorModel(
        p.train,
        p.val,
        { file: DATA, zone: p.clock.name },
        { svrParams: params, maxTrainRows, elm: false },
      )
    ).report.svr;
  const sampled = await fit(tr.svr.finalFit.rows);
  const allRows = await fit(Infinity);

  console.error("2b. detection on the validation half-year (its own seeds), with the model fitted on 2012 only");
  // The final model has seen the validation rows; the calibration fit (refit off) has not, as on the test half.
  const pv = await prepare({ data: DATA, ...RANGES, modelIn: modelPath });
  const calModel = (
    await trainValidatorModel(
      pv.train,
      pv.val,
      { file: DATA, zone: p.clock.name },
      { svrParams: params, refitOnValidation: false, elm: false },
    )
  ).model;
  const valFrom = parseLocalDate(RANGES.valFrom, p.clock);
  const valTo = parseLocalDate(RANGES.valTo, p.clock, true);
  const valRuns = VAL_SEEDS.map(
    (seed) => streamValidate(calModel, p.series, valFrom, valTo, { injectSeed: seed }).report,
  );
  const valClean = streamValidate(calModel, p.series, valFrom, valTo).report;

  console.error("3. fast preset and the h_min = 0.01 variant (weekday and holiday kept)");
  const tf = Date.now();
  const fast = await runValidation({ data: DATA, ...RANGES, preset: "fast", inject: SEEDS[0] });
  const fastMs = Date.now() - tf;
  const lowHmin: ValidationReport[] = [];
  const lowPath = join(dir, "low.json");
  lowHmin.push(
    await runValidation({
      data: DATA,
      ...RANGES,
      inject: SEEDS[0],
      modelOut: lowPath,
      train: { hMin: 0.01, svrParams: params },
    }),
  );
  for (const seed of SEEDS.slice(1))
    lowHmin.push(await runValidation({ data: DATA, ...RANGES, inject: seed, modelIn: lowPath }));

  console.error("4. operating points (k, levelK) on the same model and seeds");
  const operatingPoints = await sweep(async (validator) => ({
    injected: (
      await Promise.all(
        SEEDS.map((seed) => runValidation({ data: DATA, ...RANGES, inject: seed, modelIn: modelPath, validator })),
      )
    ).map((r) => r.anomalies),
    clean: (await runValidation({ data: DATA, ...RANGES, modelIn: modelPath, validator })).anomalies,
  }));

  // The same sweep on the validation half-year, where the defaults are chosen (its own seeds, model unseen there).
  const valOperatingPoints = await sweep(async (validator) => ({
    injected: VAL_SEEDS.map(
      (seed) => streamValidate(calModel, p.series, valFrom, valTo, { injectSeed: seed, validator }).report,
    ),
    clean: streamValidate(calModel, p.series, valFrom, valTo, { validator }).report,
  }));

  console.error("5. throughput");
  const testFrom = parseLocalDate(RANGES.testFrom, p.clock);
  const testTo = parseLocalDate(RANGES.testTo, p.clock, true);
  const test = buildDataset(p.series, p.history, p.clock, testFrom, testTo);
  const fc = new Forecaster(p.model);
  fc.forecastRows(test.x, test.n, "svr"); // warm-up
  let t1 = process.hrtime.bigint();
  fc.forecastRows(test.x, test.n, "svr");
  const predictPerS = test.n / (Number(process.hrtime.bigint() - t1) / 1e9);
  // Pipeline-like: quarter-hour readings, SOURCES terminals per timestamp, lags from the file.
  const hist = LoadHistory.fromSeries(p.series);
  const readings: Reading[] = [];
  for (let t = testFrom; t < testFrom + 7 * 86_400_000; t += 900_000) {
    for (let s = 0; s < SOURCES; s++) {
      readings.push({ timestamp: t, value: hist.valueAt(t), temperatureC: hist.temperatureAt(t), source: `T${s}` });
    }
  }
  const v = new StreamingValidator(p.model, hist);
  t1 = process.hrtime.bigint();
  const batch = v.checkBatch(readings);
  const batchPerS = readings.length / (Number(process.hrtime.bigint() - t1) / 1e9);
  const quarterHourFlagged = batch.filter((r) => !r.ok).length;

  const svr = first.models.SVR;
  const sn = first.models.seasonalNaive;
  const precision = runs.map((r) => r.anomalies.precision ?? 0);
  const recall = runs.map((r) => r.anomalies.recall ?? 0);
  const kinds = Object.keys(first.anomalies.byKind) as (keyof ValidationReport["anomalies"]["byKind"])[];
  const byKind = recallByKind(
    kinds,
    runs.map((r) => r.anomalies),
  );
  const alternatives = Object.fromEntries(
    Object.keys(first.detector.alternatives).map((name) => [
      name,
      {
        precision: mean(runs.map((r) => r.detector.alternatives[name].precision ?? 0)),
        recall: mean(runs.map((r) => r.detector.alternatives[name].recall ?? 0)),
      },
    ]),
  );
  const results = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg(), node: process.version },
    ranges: RANGES,
    rows: first.rows,
    factors: first.factors,
    models: first.models,
    mapeRatioSvrToSeasonalNaive: svr.mape / sn.mape,
    search: { ms: tr.search.ms, gridPoints: tr.search.trials.length, rows: tr.search.rows, chosen: params },
    fits: {
      calibration: tr.svr.calibrationFit,
      final: tr.svr.finalFit,
      wholeFileSampled: sampled.finalFit,
      wholeFileAllRows: allRows.finalFit,
      wholeFileAllRowsCalibrationMape: allRows.calibrationFit.validationMape,
      wholeFileSampledCalibrationMape: sampled.calibrationFit.validationMape,
    },
    pipelineTrainMs: pipelineMs,
    detection: {
      validationPeriod: {
        seeds: VAL_SEEDS,
        note: "H1 2013, SVR fitted on 2012 only; the detector defaults were chosen here",
        perSeed: valRuns.map((r, i) => ({ seed: VAL_SEEDS[i], ...r })),
        precisionMean: mean(valRuns.map((r) => r.precision ?? 0)),
        recallMean: mean(valRuns.map((r) => r.recall ?? 0)),
        byKind: recallByKind(kinds, valRuns),
        cleanFlags: valClean.flagged,
        cleanReasons: valClean.reasons,
        operatingPoints: valOperatingPoints,
      },
      seeds: SEEDS,
      perSeed: runs.map((r, i) => ({ seed: SEEDS[i], ...r.anomalies })),
      precisionMean: mean(precision),
      recallMean: mean(recall),
      byKind,
      cleanFlags: clean.anomalies.flagged,
      cleanReasons: clean.anomalies.reasons,
      alternatives,
      operatingPoints,
    },
    fastPreset: { trainMs: fastMs, models: fast.models, anomalies: fast.anomalies },
    hMin001: {
      factors: lowHmin[0].factors.filter((f) => f.kept).map((f) => f.name),
      models: lowHmin[0].models,
      precisionMean: mean(lowHmin.map((r) => r.anomalies.precision ?? 0)),
      recallMean: mean(lowHmin.map((r) => r.anomalies.recall ?? 0)),
    },
    throughput: {
      svrPredictionsPerS: predictPerS,
      supportVectors: p.model.svr.coef.length,
      streamChecksPerS: first.throughput.checksPerSecond,
      pipelineBatchChecksPerS: batchPerS,
      pipelineBatch: { readings: readings.length, sources: SOURCES, quarterHourFlagged },
    },
    targets: TARGETS,
  };
  mkdirSync(join(__dirname, "results"), { recursive: true });
  writeFileSync(RESULTS_FILE, JSON.stringify(results, null, 2) + "\n");

  const ok = (b: boolean): string => (b ? "yes" : "NO");
  const f2 = (x: number): string => x.toFixed(2);
  const rows: [string, string, string, string][] = [
    [
      "SVR test MAPE / seasonal naive",
      `${f2(svr.mape)}% / ${f2(sn.mape)}% = ${f2(svr.mape / sn.mape)}`,
      "<= 0.70",
      ok(svr.mape / sn.mape <= TARGETS.mapeRatio),
    ],
    ["ELM test MAPE", first.models.ELM ? `${f2(first.models.ELM.mape)}%` : "-", "report", "-"],
    [
      "RMSE SVR / ELM / naive (MW)",
      `${svr.rmse.toFixed(0)} / ${first.models.ELM?.rmse.toFixed(0)} / ${sn.rmse.toFixed(0)}`,
      "report",
      "-",
    ],
    [
      "Validation half: precision / recall",
      `${f2(results.detection.validationPeriod.precisionMean)} / ${f2(results.detection.validationPeriod.recallMean)}`,
      "choose",
      "-",
    ],
    ["Detection precision (mean of 5 seeds)", f2(mean(precision)), ">= 0.90", ok(mean(precision) >= TARGETS.precision)],
    ["Detection recall (mean of 5 seeds)", f2(mean(recall)), ">= 0.95", ok(mean(recall) >= TARGETS.recall)],
    ...kinds.map((k): [string, string, string, string] => [
      `  recall: ${k}`,
      `${byKind[k].detected}/${byKind[k].labelled} = ${f2(byKind[k].recall)}`,
      "",
      "",
    ]),
    ["Flags on the clean test half-year", String(clean.anomalies.flagged), "report", "-"],
    [
      "Hyper-parameter search",
      `${(tr.search.ms / 1000).toFixed(1)} s (${tr.search.trials.length} points x ${tr.search.rows} rows)`,
      "<= 300 s",
      ok(tr.search.ms <= TARGETS.searchMs),
    ],
    [
      "Final SVR fit (train+val)",
      `${(tr.svr.finalFit.trainMs / 1000).toFixed(1)} s, ${tr.svr.finalFit.rows} rows, ${tr.svr.finalFit.nSv} SVs`,
      "<= 60 s",
      ok(tr.svr.finalFit.trainMs <= TARGETS.finalFitMs),
    ],
    [
      "Fit on the whole file, sampled",
      `${(sampled.finalFit.trainMs / 1000).toFixed(1)} s, ${sampled.finalFit.rows} rows, ${sampled.finalFit.nSv} SVs`,
      "<= 60 s",
      ok(sampled.finalFit.trainMs <= TARGETS.finalFitMs),
    ],
    [
      "Fit on the whole file, all rows",
      `${(allRows.finalFit.trainMs / 1000).toFixed(1)} s, ${allRows.finalFit.rows} rows, ${allRows.finalFit.nSv} SVs`,
      "<= 60 s",
      ok(allRows.finalFit.trainMs <= TARGETS.finalFitMs),
    ],
    ["SVR predictions/s (one row per call)", predictPerS.toFixed(0), ">= 50k", ok(predictPerS >= TARGETS.checksPerS)],
    [
      `checkBatch, ${SOURCES} sources per 15-min step`,
      `${batchPerS.toFixed(0)} /s (${quarterHourFlagged} of ${readings.length} flagged)`,
      ">= 50k",
      ok(batchPerS >= TARGETS.checksPerS),
    ],
    ["Fast preset: train / SVR MAPE", `${(fastMs / 1000).toFixed(1)} s / ${f2(fast.models.SVR.mape)}%`, "report", "-"],
    [
      "h_min 0.01: SVR MAPE, P / R",
      `${f2(lowHmin[0].models.SVR.mape)}%, ${f2(results.hMin001.precisionMean)} / ${f2(results.hMin001.recallMean)}`,
      "report",
      "-",
    ],
  ];
  const w = [40, 44, 9];
  console.log(`${"figure".padEnd(w[0])} ${"measured".padEnd(w[1])} ${"target".padEnd(w[2])} met`);
  for (const r of rows) console.log(`${r[0].padEnd(w[0])} ${r[1].padEnd(w[1])} ${r[2].padEnd(w[2])} ${r[3]}`);
  console.log("operating points on the validation half-year (seeds 101-105; flags on the clean half-year):");
  for (const o of valOperatingPoints) {
    console.log(
      `  k ${o.k}, levelK ${o.levelK}: precision ${f2(o.precision)}, recall ${f2(o.recall)}, clean flags ${o.cleanFlags}`,
    );
  }
  console.log("operating points on the test half-year (mean of 5 seeds; flags on the clean test half-year):");
  for (const o of operatingPoints) {
    console.log(
      `  k ${o.k}, levelK ${o.levelK}: precision ${f2(o.precision)}, recall ${f2(o.recall)}, clean flags ${o.cleanFlags}`,
    );
  }
  console.log(
    `machine: ${cpus().length} cpus, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
  console.log(`results: ${RESULTS_FILE}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
