import { Evaluation } from "./metrics";
import { ClassifyReport, ClusterReport, DataSummary } from "./run";

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Pads cells into aligned columns. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  "));
}

function dataLines(d: DataSummary): string[] {
  const lines = [
    `data: ${d.file} (${d.series}, column ${d.valueColumn}, ${d.unit}), ${d.rows} rows`,
    `days: ${d.days}; ${d.profiles} complete days (${d.dayTypes.weekday} weekday, ${d.dayTypes.weekend} weekend, ${d.dayTypes.holiday} holiday)`,
  ];
  if (d.excluded.length > 0) {
    lines.push(`excluded ${d.excluded.length} incomplete day(s):`);
    d.excluded.forEach((e) => lines.push(`  ${e.date}: ${e.present}/${e.expected} slots, missing ${e.missing}`));
  } else {
    lines.push("excluded 0 incomplete days");
  }
  d.averaged.forEach((a) => lines.push(`averaged ${a.slots} repeated clock slot(s) on ${a.date} (autumn DST)`));
  return lines;
}

export function formatClusterReport(r: ClusterReport): string {
  const lines = [...dataLines(r.data), `method: ${r.method}, normalisation: ${r.normalisation}, seed ${r.seed}`, ""];
  lines.push(
    ...table([
      ["k", "silhouette", r.method === "kmeans" ? "inertia" : "PAM cost", "cluster sizes"],
      ...r.sweep.map((s) => [
        String(s.k) + (s.k === r.chosenK ? " *" : ""),
        s.silhouette.toFixed(3),
        s.cost.toFixed(1),
        s.sizes.join("/"),
      ]),
    ]),
  );
  lines.push(`* chosen k = ${r.chosenK} (${r.chosenBy})`, "");
  lines.push(
    ...table([
      ["cluster", "days", "weekday", "weekend", "holiday", ...(r.method === "kmedoids" ? ["medoid"] : [])],
      ...r.clusters.map((c) => [
        `C${c.cluster}`,
        String(c.size),
        String(c.dayTypes.weekday),
        String(c.dayTypes.weekend),
        String(c.dayTypes.holiday),
        ...(c.medoidDate ? [c.medoidDate] : []),
      ]),
    ]),
  );
  lines.push("", `wrote ${r.outputs.json}`, `wrote ${r.outputs.svg}`);
  return lines.join("\n");
}

function confusionLines(e: Evaluation): string[] {
  return table([["actual \\ predicted", ...e.classes], ...e.classes.map((c, i) => [c, ...e.confusion[i].map(String)])]);
}

export function formatClassifyReport(r: ClassifyReport): string {
  const nb = r.naiveBayes;
  const lines = [
    ...dataLines(r.data),
    `features: ${r.features.set} (${r.features.names.length}); stratified split, test fraction ${r.testFraction}, seed ${r.seed}`,
    `train: ${Object.entries(r.split.train)
      .map(([k, v]) => `${v} ${k}`)
      .join(", ")}; test: ${Object.entries(r.split.test)
      .map(([k, v]) => `${v} ${k}`)
      .join(", ")}`,
    "",
    ...table([
      ["", "accuracy", "balanced acc.", "macro F1"],
      ["Gaussian naive Bayes", pct(nb.accuracy), pct(nb.balancedAccuracy), nb.macroF1.toFixed(3)],
      [
        `baseline (always ${r.baseline.predicts})`,
        pct(r.baseline.accuracy),
        pct(r.baseline.balancedAccuracy),
        r.baseline.macroF1.toFixed(3),
      ],
    ]),
    "",
    "confusion matrix (naive Bayes, test set):",
    ...confusionLines(nb),
    "",
    ...table([
      ["class", "support", "precision", "recall", "F1"],
      ...nb.perClass.map((m) => [m.label, String(m.support), pct(m.precision), pct(m.recall), m.f1.toFixed(3)]),
    ]),
  ];
  lines.push("", `wrote ${r.outputs.json}`);
  return lines.join("\n");
}
