import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { readCsv } from "../common/csv";
import { writeSvg } from "../plot/render";
import { GaussianNbModel, fitGaussianNb, posteriors, predict } from "./bayes";
import { clusterChartSpec } from "./chart";
import { Clustering, bestBySilhouette, clusterAt, parseKRange } from "./cluster";
import { ClusterMethod } from "./cluster-method";
import { euclideanMatrix } from "./distance";
import { FeatureSet, featureNames, profileFeatures } from "./features";
import { Evaluation, evaluate } from "./metrics";
import { Normalisation, normaliseProfile } from "./normalise";
import { ClassifyOptions, ClusterOptions } from "./options";
import { DAY_TYPES, DayBoundary, DayType, ProfileSet, buildProfiles } from "./profiles";
import { stratifiedSplit } from "./split";

/** What the data summary of every report says about the input. */
export interface DataSummary {
  file: string;
  series: string;
  valueColumn: string;
  unit: string;
  /** "local (Europe/Brussels)" or "utc". */
  days: string;
  rows: number;
  /** Complete days used. */
  profiles: number;
  dayTypes: Record<DayType, number>;
  /** Days left out because slots were empty, with the missing clock ranges. */
  excluded: ProfileSet["incomplete"];
  /** Days on which repeated clock slots (autumn DST) were averaged. */
  averaged: ProfileSet["averaged"];
}

/** Reads a CSV and builds its daily profiles; fails when no complete day remains. */
export function loadProfiles(file: string, days: DayBoundary): ProfileSet {
  if (!existsSync(file)) throw new Error(`--data ${file}: no such file`);
  const set = buildProfiles(readCsv(file), days);
  if (set.profiles.length === 0) {
    throw new Error(`${file}: no complete day (${set.incomplete.length} incomplete days, ${set.rows} rows)`);
  }
  return set;
}

/** Days per calendar label. */
const countTypes = (types: readonly DayType[]): Record<DayType, number> => {
  const counts = { weekday: 0, weekend: 0, holiday: 0 };
  types.forEach((t) => counts[t]++);
  return counts;
};

function summarise(set: ProfileSet): DataSummary {
  return {
    file: set.file,
    series: set.kind.name,
    valueColumn: set.kind.valueColumn,
    unit: set.kind.unit,
    days: set.days === "local" ? `local (${set.kind.zone})` : "utc",
    rows: set.rows,
    profiles: set.profiles.length,
    dayTypes: countTypes(set.profiles.map((p) => p.dayType)),
    excluded: set.incomplete,
    averaged: set.averaged,
  };
}

const stem = (file: string): string => basename(file, extname(file));

// ---------------------------------------------------------------- clustering

export interface ClusterSummary {
  cluster: number;
  size: number;
  dayTypes: Record<DayType, number>;
  /** Member days per calendar month, January first, to read seasonal clusters. */
  months: number[];
  /** Date of the medoid day (k-medoids only). */
  medoidDate?: string;
  /** Centroid or medoid, 96 points in the clustering space. */
  centre: number[];
  /** Mean of the member days' raw profiles, in the series' unit. */
  meanProfile: number[];
}

export interface ClusterReport {
  command: "grid:cluster";
  data: DataSummary;
  method: ClusterMethod;
  normalisation: Normalisation;
  seed: number;
  sweep: { k: number; silhouette: number; cost: number; sizes: number[] }[];
  chosenK: number;
  chosenBy: "highest mean silhouette" | "the only k given";
  clusters: ClusterSummary[];
  assignments: { date: string; dayType: DayType; cluster: number; silhouette: number }[];
  outputs: { json: string; svg: string };
}

export async function runCluster(opts: ClusterOptions): Promise<ClusterReport> {
  const ks = parseKRange(opts.k);
  const set = loadProfiles(opts.data, opts.days);
  const points = set.profiles.map((p) => normaliseProfile(p.values, opts.normalise));
  const dist = euclideanMatrix(points);
  const sweep: Clustering[] = ks.map((k) => clusterAt(points, dist, k, opts.method, opts.seed));
  const chosen = ks.length === 1 ? sweep[0] : bestBySilhouette(sweep);
  const clusters: ClusterSummary[] = chosen.centres.map((centre, c) => {
    const members = set.profiles.filter((_, i) => chosen.labels[i] === c);
    const dayTypes = countTypes(members.map((m) => m.dayType));
    const months = new Array<number>(12).fill(0);
    members.forEach((m) => months[Number(m.date.slice(5, 7)) - 1]++);
    const meanProfile = centre.map(
      (_, t) => members.reduce((s, m) => s + m.values[t], 0) / Math.max(members.length, 1),
    );
    const medoid = chosen.medoidIndices?.[c];
    return {
      cluster: c + 1,
      size: members.length,
      dayTypes,
      months,
      ...(medoid !== undefined && { medoidDate: set.profiles[medoid].date }),
      centre,
      meanProfile,
    };
  });
  const name = `cluster-${stem(opts.data)}-${opts.method}-${opts.normalise}`;
  const outputs = { json: join(opts.out, `${name}.json`), svg: join(opts.out, `${name}.svg`) };
  const report: ClusterReport = {
    command: "grid:cluster",
    data: summarise(set),
    method: opts.method,
    normalisation: opts.normalise,
    seed: opts.seed,
    sweep: sweep.map((c) => ({ k: c.k, silhouette: c.silhouette, cost: c.cost, sizes: c.sizes })),
    chosenK: chosen.k,
    chosenBy: ks.length === 1 ? "the only k given" : "highest mean silhouette",
    clusters,
    assignments: set.profiles.map((p, i) => ({
      date: p.date,
      dayType: p.dayType,
      cluster: chosen.labels[i] + 1,
      silhouette: chosen.pointSilhouettes[i],
    })),
    outputs,
  };
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(outputs.json, JSON.stringify(report, null, 1) + "\n");
  const centreKind = opts.method === "kmeans" ? "centroid" : "medoid";
  await writeSvg(
    outputs.svg,
    clusterChartSpec({
      title: `${set.kind.name}: ${opts.method} on ${set.profiles.length} daily profiles (${opts.normalise === "zscore" ? "z-scored per day" : "raw values"})`,
      centreUnit: opts.normalise === "zscore" ? "z-score (per day)" : set.kind.unit,
      valueUnit: set.kind.unit,
      clock: set.days === "local" ? `${set.kind.zone} time` : "UTC",
      clusters: clusters.map((c) => ({
        name:
          `C${c.cluster}: ${c.size} days (${c.dayTypes.weekday} weekday, ${c.dayTypes.weekend} weekend, ` +
          `${c.dayTypes.holiday} holiday)` +
          (c.medoidDate ? `, medoid ${c.medoidDate}` : ""),
        centre: c.centre,
        meanProfile: c.meanProfile,
      })),
      centreKind,
      sweep: report.sweep,
      chosenK: chosen.k,
    }),
  );
  return report;
}

// ---------------------------------------------------------------- classification

export interface ClassifyReport {
  command: "grid:classify";
  data: DataSummary;
  seed: number;
  testFraction: number;
  features: { set: FeatureSet; names: string[] };
  split: { train: Record<DayType, number>; test: Record<DayType, number> };
  model: GaussianNbModel;
  naiveBayes: Evaluation;
  /** Always predicting the training set's most frequent class. */
  baseline: Evaluation & { predicts: string };
  predictions: { date: string; actual: DayType; predicted: string; posterior: Record<string, number> }[];
  outputs: { json: string };
}

export function runClassify(opts: ClassifyOptions): ClassifyReport {
  const set = loadProfiles(opts.data, opts.days);
  const labels = set.profiles.map((p) => p.dayType);
  const x = set.profiles.map((p) => profileFeatures(p.values, opts.features));
  const split = stratifiedSplit(labels, opts.testFraction, opts.seed);
  if (split.train.length === 0 || split.test.length === 0) {
    throw new Error(`${opts.data}: ${set.profiles.length} complete days are too few to split into train and test sets`);
  }
  const model = fitGaussianNb(
    split.train.map((i) => x[i]),
    split.train.map((i) => labels[i]),
    opts.varSmoothing,
  );
  const classes = DAY_TYPES.filter((t) => labels.includes(t));
  const actual = split.test.map((i) => labels[i]);
  const predicted = split.test.map((i) => predict(model, x[i]));
  const trainCounts = countTypes(split.train.map((i) => labels[i]));
  const majority = classes.reduce((a, b) => (trainCounts[b] > trainCounts[a] ? b : a));
  const outputs = { json: join(opts.out, `classify-${stem(opts.data)}-${opts.features}.json`) };
  const report: ClassifyReport = {
    command: "grid:classify",
    data: summarise(set),
    seed: opts.seed,
    testFraction: opts.testFraction,
    features: { set: opts.features, names: featureNames(opts.features) },
    split: { train: trainCounts, test: countTypes(actual) },
    model,
    naiveBayes: evaluate(classes, actual, predicted),
    baseline: {
      ...evaluate(
        classes,
        actual,
        actual.map(() => majority),
      ),
      predicts: majority,
    },
    predictions: split.test.map((i, j) => {
      const post = posteriors(model, x[i]);
      return {
        date: set.profiles[i].date,
        actual: labels[i],
        predicted: predicted[j],
        posterior: Object.fromEntries(model.classes.map((c, ci) => [c, post[ci]])),
      };
    }),
    outputs,
  };
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(outputs.json, JSON.stringify(report, null, 1) + "\n");
  return report;
}
