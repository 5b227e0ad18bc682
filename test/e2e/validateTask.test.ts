import { expect } from "chai";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng } from "../../src/common/rng";
import { runTask, taskError } from "../helpers/tasks";

const H = 3_600_000;

/** Seven weeks of hourly synthetic load with a weekly shape and a U-shaped temperature dependence. */
function csv(seed: number): string {
  const rng = createRng(seed);
  const start = Date.parse("2012-04-02T04:00:00Z");
  const rows: string[] = [];
  for (let i = 0; i < 24 * 49; i++) {
    const temp = 18 + 12 * Math.sin((2 * Math.PI * i) / (24 * 9)) + 2 * rng.normal();
    const weekend = Math.floor(i / 24) % 7 >= 5 ? 400 : 0;
    const load = 3000 + 600 * Math.sin((2 * Math.PI * ((i % 24) - 7)) / 24) - weekend + 6 * (temp - 18) ** 2;
    rows.push(`${new Date(start + i * H).toISOString()},${(load + 15 * rng.normal()).toFixed(1)},${temp.toFixed(2)}`);
  }
  return ["timestamp,load_mw,temperature_c", ...rows].join("\n") + "\n";
}

describe("grid:validate (issue 14)", function () {
  this.timeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), "val-task-"));
  const data = join(dir, "load.csv");
  writeFileSync(data, csv(3));
  const ranges = {
    data,
    trainFrom: "2012-04-02",
    trainTo: "2012-04-29",
    valFrom: "2012-04-30",
    valTo: "2012-05-06",
    testFrom: "2012-05-07",
    testTo: "2012-05-20",
    preset: "fast",
  };

  it("writes the issue's detection block, the refit cost and each flag's rule", async function () {
    const out = join(dir, "report.json");
    const printed = await runTask("grid:validate", { ...ranges, inject: 4, refitDays: 7, refitWindow: 28, out });
    expect(printed).to.contain("detection: precision");
    const report = JSON.parse(readFileSync(out, "utf8"));
    expect(report.models.SVR).to.include.keys("mape", "rmse");
    expect(report.models.ELM).to.include.keys("mape", "rmse");
    expect(report.models.seasonalNaive).to.include.keys("mape", "rmse");
    const d = report.detection;
    expect(d).to.include.keys(
      "precision",
      "pointF1",
      "nabScore",
      "cleanFalseAlarmsPerDay",
      "events",
      "driftBeforeError",
    );
    expect(d.driftBeforeError).to.have.keys("10", "20");
    for (const kind of ["spike", "stuck", "drift", "dropout", "unit"]) {
      expect(d.events[kind], kind).to.include.keys("injected", "inBudget", "recall", "delayHours");
      expect(d.events[kind].delayHours).to.have.keys("mean", "median", "p90");
    }
    expect(d.cleanFalseAlarmsPerDay).to.be.a("number");
    expect(report.refit.detection.refits).to.equal(1);
    expect(report.refit.options).to.deep.equal({ everyDays: 7, windowDays: 28, maxRows: 3000 });
    expect(report.flagged.length).to.be.greaterThan(0);
    for (const f of report.flagged) expect(f.flaggedBy).to.be.a("string");
    // The non-linear screen keeps the calendar factors that Pearson's drops.
    expect(report.factors.find((f: { name: string }) => f.name === "weekdaySin").kept).to.equal(true);
  });

  it("runs the operating point given by --level-k, --cusum-h, --cusum-k and --innovation-scale-max", async function () {
    const out = join(dir, "operating-point.json");
    const opts = { levelK: 5.5, cusumH: 8, cusumK: 0.75, innovationScaleMax: 1.5 };
    await runTask("grid:validate", { ...ranges, inject: 4, refitDays: 0, out, ...opts });
    const report = JSON.parse(readFileSync(out, "utf8"));
    expect(report.detector).to.include(opts);
  });

  it("refuses an innovation scale below 1", async function () {
    const msg = await taskError("grid:validate", { ...ranges, innovationScaleMax: 0.5 });
    expect(msg).to.contain("innovationScaleMax");
  });

  it("refuses a validation range that overlaps the training range", async function () {
    const msg = await taskError("grid:validate", { ...ranges, valFrom: "2012-04-20" });
    expect(msg).to.contain("overlaps the validation range");
  });

  it("refuses a calibration slice that overlaps the test range", async function () {
    const msg = await taskError("grid:validate", { ...ranges, calFrom: "2012-05-10", calTo: "2012-05-12" });
    expect(msg).to.contain("the calibration range (2012-05-10 .. 2012-05-12) overlaps the test range");
  });
});
