import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng } from "../../src/common/rng";
import { localClock } from "../../src/validation/clock";
import { buildDataset } from "../../src/validation/dataset";
import { ElmPredictor, trainElm } from "../../src/validation/elm";
import { LoadHistory } from "../../src/validation/history";
import { choleskySolve } from "../../src/validation/linalg";
import { loadModel, parseModel, saveModel, type ValidatorModel } from "../../src/validation/model";
import { readLoadCsv, type LoadSeries } from "../../src/validation/series";
import { rmse } from "../../src/validation/stats";
import { streamValidate } from "../../src/validation/stream";
import { SvrPredictor, trainSvr } from "../../src/validation/svr";
import { evenSample, pickTrial, trainValidatorModel } from "../../src/validation/train";
import { StreamingValidator } from "../../src/validation/validator";
import { openValidator } from "../../src/validation";
import { countingForecasts } from "../helpers/forecasts";

const H = 3_600_000;

/**
 * Seven synthetic weeks of hourly load on a US Eastern clock: a daily cycle, lower weekends, a
 * temperature term and small noise. Simple enough for the model to learn from a few hundred rows.
 */
function syntheticSeries(seed: number): LoadSeries {
  return readLoadCsv("synthetic.csv", { text: syntheticCsv(seed) });
}

function syntheticCsv(seed: number): string {
  const rng = createRng(seed);
  const start = Date.parse("2012-04-02T04:00:00Z");
  const rows: string[] = [];
  for (let i = 0; i < 24 * 49; i++) {
    const hour = i % 24;
    const day = Math.floor(i / 24) % 7;
    const temp = 12 + 8 * Math.sin((2 * Math.PI * (hour - 9)) / 24) + 2 * rng.normal();
    const load =
      3000 + 600 * Math.sin((2 * Math.PI * (hour - 7)) / 24) - (day >= 5 ? 250 : 0) + 15 * temp + 15 * rng.normal();
    rows.push(`${new Date(start + i * H).toISOString()},${load.toFixed(1)},${temp.toFixed(2)}`);
  }
  return ["timestamp,load_mw,temperature_c", ...rows].join("\n") + "\n";
}

describe("validation: models", function () {
  this.timeout(60_000);

  describe("linear algebra", function () {
    it("solves a symmetric positive-definite system", function () {
      const x = choleskySolve(Float64Array.from([4, 2, 2, 3]), 2, Float64Array.from([2, 1]));
      expect(x[0]).to.be.closeTo(0.5, 1e-12);
      expect(x[1]).to.be.closeTo(0, 1e-12);
      expect(() => choleskySolve(Float64Array.from([1, 2, 2, 1]), 2, Float64Array.from([1, 1]))).to.throw(
        "not positive definite",
      );
    });
  });

  describe("SVR", function () {
    it("matches the closed-form solution of a two-point problem", async function () {
      // Points 0 and 1 with targets +1 and -1, both on the eps-tube: f(x) = beta (K(0,x) - K(1,x)) + b with
      // beta = (y1 - y2 - 2 eps) / (2 (1 - K(0,1))) and b = (y1 + y2) / 2 (C large enough not to bind).
      const eps = 0.1;
      const gamma = 1;
      const m = await trainSvr(Float64Array.from([0, 1]), 2, 1, [1, -1], { C: 100, epsilon: eps, gamma });
      const beta = (2 - 2 * eps) / (2 * (1 - Math.exp(-gamma)));
      expect(m.coef.map(Math.abs)).to.have.members([m.coef[0] > 0 ? m.coef[0] : -m.coef[0], Math.abs(m.coef[1])]);
      expect(Math.abs(m.coef[0])).to.be.closeTo(beta, 1e-6);
      expect(m.bias).to.be.closeTo(0, 1e-6);
      const p = new SvrPredictor(m);
      for (const x of [-0.5, 0, 0.3, 1, 2]) {
        const expected = beta * (Math.exp(-gamma * x * x) - Math.exp(-gamma * (x - 1) ** 2));
        expect(p.predict([x])).to.be.closeTo(expected, 1e-6);
      }
      expect(p.predict([0])).to.be.closeTo(1 - eps, 1e-6);
    });

    it("evaluates like libsvm's own predictor on a random problem", async function () {
      const rng = createRng(3);
      const n = 300;
      const d = 3;
      const x = Float64Array.from({ length: n * d }, () => rng.normal());
      const y = Array.from({ length: n }, (_, i) => Math.sin(x[i * d]) + 0.5 * x[i * d + 1] + 0.1 * rng.normal());
      const params = { C: 10, epsilon: 0.1, gamma: 0.5 };
      const mine = new SvrPredictor(await trainSvr(x, n, d, y, params));
      const SVM = await (await import("libsvm-js/wasm.js")).default;
      const ref = new SVM({
        type: SVM.SVM_TYPES.EPSILON_SVR,
        kernel: SVM.KERNEL_TYPES.RBF,
        cost: 10,
        epsilon: 0.1,
        gamma: 0.5,
        quiet: true,
      });
      ref.train(
        Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * d, i * d + d))),
        y,
      );
      for (let k = 0; k < 50; k++) {
        const q = [rng.normal(), rng.normal(), rng.normal()];
        expect(mine.predict(q)).to.be.closeTo(ref.predictOne(q), 1e-6);
      }
      ref.free();
      expect(mine.nSv).to.be.within(10, n);
    });
  });

  describe("ELM", function () {
    it("fits a linear target with ridge output weights", function () {
      const rng = createRng(5);
      const n = 400;
      const x = Float64Array.from({ length: n * 2 }, () => 2 * rng.next() - 1);
      const y = Array.from({ length: n }, (_, i) => 2 * x[2 * i] - 3 * x[2 * i + 1] + 1);
      const model = trainElm(x, n, 2, y, { hidden: 40, C: 1e6, seed: 1 });
      const p = new ElmPredictor(model);
      const pred = p.predictRows(x, n);
      expect(rmse(y, pred)).to.be.lessThan(0.01);
      expect(p.predict([0.5, -0.5])).to.be.closeTo(3.5, 0.02);
      const ridge = new ElmPredictor(trainElm(x, n, 2, y, { hidden: 40, C: 1e-4, seed: 1 }));
      expect(Math.abs(ridge.predict([0.5, -0.5]))).to.be.lessThan(1); // heavy ridge shrinks to ~0
    });
  });

  describe("search helpers", function () {
    it("spreads a subsample evenly and prefers fewer support vectors within the MAPE margin", function () {
      expect(evenSample(10, 4)).to.deep.equal([0, 2, 5, 7]);
      expect(evenSample(3, 5)).to.deep.equal([0, 1, 2]);
      const t = (mape: number, nSv: number) => ({
        params: { C: 1, epsilon: 0.1, gamma: 0.1 },
        validationMape: mape,
        nSv,
        trainMs: 0,
      });
      expect(pickTrial([t(3.0, 900), t(3.05, 400), t(3.2, 100)], 0.02).nSv).to.equal(400);
      expect(pickTrial([t(3.0, 900), t(3.05, 400)], 0).nSv).to.equal(900);
    });
  });

  describe("trained validator on a synthetic series", function () {
    let series: LoadSeries;
    let model: ValidatorModel;
    const clock = localClock("us-eastern");
    const trainEnd = Date.parse("2012-04-30T04:00:00Z");
    const valEnd = Date.parse("2012-05-07T04:00:00Z");

    before(async function () {
      series = syntheticSeries(11);
      const hist = LoadHistory.fromSeries(series);
      const train = buildDataset(series, hist, clock, series.timestamps[0], trainEnd - 1);
      const val = buildDataset(series, hist, clock, trainEnd, valEnd - 1);
      const r = await trainValidatorModel(
        train,
        val,
        { file: "synthetic.csv", zone: "us-eastern" },
        {
          grid: { C: [10], epsilon: [0.1], gamma: [0.1, 0.3] },
          searchRows: 300,
          maxTrainRows: 500,
          elmGrid: { hidden: [30], C: [10] },
        },
      );
      model = r.model;
      expect(r.report.search.trials).to.have.length(2);
    });

    it("keeps the informative factors and calibrates residuals on validation", function () {
      const kept = model.factors.filter((f) => f.kept).map((f) => f.name);
      expect(kept).to.include.members(["hourSin", "lag24", "lag168"]);
      expect(model.residuals.svr.sd).to.be.lessThan(60);
      const { rho1h, sdStep, sdStepByHour, sd } = model.residuals.svr;
      expect(rho1h).to.be.within(0, 0.995);
      expect(sdStep).to.be.lessThan(sd); // the one-step forecast is sharper than the plain one
      expect(sdStepByHour).to.have.length(24);
      expect(model.elm).to.not.equal(null);
    });

    it("round-trips through JSON and rejects a tampered file with its path", function () {
      const dir = mkdtempSync(join(tmpdir(), "val-"));
      const path = join(dir, "m.json");
      saveModel(path, model);
      expect(loadModel(path)).to.deep.equal(model);
      writeFileSync(path, JSON.stringify({ ...model, svr: { ...model.svr, coef: [1] } }));
      expect(() => loadModel(path)).to.throw(`${path}: model sizes do not match`);
      expect(() => parseModel({ format: "x" }, "inline")).to.throw("inline: not a validator model");
    });

    it("recalls injected anomalies on the last week with few false flags", async function () {
      const out = await streamValidate(model, series, valEnd, series.timestamps[series.timestamps.length - 1], {
        injectSeed: 3,
        inject: { eventsPer30Days: 6, separationHours: 8 },
      });
      const r = out.report;
      expect(r.injected).to.be.greaterThan(30);
      expect(r.recall).to.be.greaterThan(0.9);
      expect(r.precision).to.be.greaterThan(0.9);
      expect(r.byKind.spike?.recall).to.equal(1);
      expect(r.byKind.dropout?.recall).to.equal(1);
      expect(r.byKind.unit?.recall).to.equal(1);
      const clean = await streamValidate(model, series, valEnd, series.timestamps[series.timestamps.length - 1]);
      expect(clean.report.injected).to.equal(0);
      expect(clean.report.precision).to.equal(null);
      expect(clean.report.flagged).to.be.lessThan(5);
    });

    it("gives a reason code for every kind of bad reading", function () {
      const v = new StreamingValidator(model, LoadHistory.fromSeries(series));
      const t = Date.parse("2012-05-15T16:00:00Z");
      const f = v.forecastAt(t);
      expect(f).to.be.within(2500, 4000);
      expect(v.check({ timestamp: t, value: f, source: "a" }).ok).to.equal(true);
      expect(v.check({ timestamp: "not a date", value: f }).reason).to.equal("BAD_TIMESTAMP");
      expect(v.check({ timestamp: t + H, value: NaN, source: "b" }).reason).to.equal("NOT_FINITE");
      expect(v.check({ timestamp: t + H, value: 0, source: "c" }).reason).to.equal("ZERO_OR_NEGATIVE");
      expect(v.check({ timestamp: t + H, value: 10 * v.forecastAt(t + H), source: "d" }).reason).to.equal("UNIT_SCALE");
      expect(v.check({ timestamp: t + H, value: 1.4 * v.forecastAt(t + H), source: "e" }).reason).to.equal(
        "RESIDUAL_OVER_K_SIGMA",
      );
      expect(v.check({ timestamp: Date.parse("2013-01-01T00:00:00Z"), value: 3000, temperatureC: 10 }).reason).to.equal(
        "NO_HISTORY",
      );
      expect(v.check({ timestamp: Date.parse("2013-01-01T00:00:00Z"), value: 3000 }).reason).to.equal("NO_TEMPERATURE");
      const abs = new StreamingValidator(model, LoadHistory.fromSeries(series), { threshold: 8.28 });
      expect(abs.check({ timestamp: t, value: f + 9 }).reason).to.equal("ABS_THRESHOLD");
      expect(abs.check({ timestamp: t + H, value: abs.forecastAt(t + H) + 1 }).ok).to.equal(true);
    });

    it("flags a value frozen for two hours as STUCK, per source", function () {
      const v = new StreamingValidator(model, LoadHistory.fromSeries(series));
      const t = Date.parse("2012-05-16T03:00:00Z"); // 23:00 local: a flat hour
      const x = v.forecastAt(t);
      const a = [0, 1, 2].map((i) => v.check({ timestamp: t + i * H, value: x, source: "a" }));
      expect(a[2].reasons).to.include("STUCK");
      // Another source is independent of a's run.
      expect(v.check({ timestamp: t + 2 * H, value: v.forecastAt(t + 2 * H), source: "b" }).ok).to.equal(true);
    });

    it("checks quarter-hour readings and batches like single checks", function () {
      const hist = LoadHistory.fromSeries(series);
      const start = Date.parse("2012-05-14T04:00:00Z");
      const readings = Array.from({ length: 96 }, (_, i) => {
        const t = start + i * 900_000;
        return { timestamp: t, value: hist.valueAt(t), temperatureC: hist.temperatureAt(t), source: "q" };
      });
      const batch = new StreamingValidator(model, hist).checkBatch(readings);
      const one = new StreamingValidator(model, hist);
      expect(readings.map((r) => one.check(r))).to.deep.equal(batch);
      expect(batch.filter((r) => !r.ok).length).to.be.lessThan(3);
    });

    it("allows for the sensors' rated noise on minute-spaced readings, and still flags spikes", function () {
      const hist = LoadHistory.fromSeries(series);
      const start = Date.parse("2012-05-14T04:00:00Z");
      const rng = createRng(21);
      const readings = Array.from({ length: 24 * 60 }, (_, i) => {
        const t = start + i * 60_000;
        return { timestamp: t, value: hist.valueAt(t) * (1 + 0.01 * rng.normal()), source: "m" };
      });
      const flags = (v: StreamingValidator, rs = readings) => v.checkBatch(rs).filter((r) => !r.ok).length;
      const blind = flags(new StreamingValidator(model, hist));
      const aware = flags(new StreamingValidator(model, hist, { noise: 0.01 }));
      expect(blind, "noise-blind sigma flags clean readings").to.be.greaterThan(10);
      expect(aware).to.be.lessThan(3);
      // A per-reading rating overrides the validator's default.
      const rated = readings.map((r) => ({ ...r, noise: 0.01 }));
      expect(flags(new StreamingValidator(model, hist), rated)).to.equal(aware);
      const v = new StreamingValidator(model, hist, { noise: 0.01 });
      v.checkBatch(readings.slice(0, 600));
      const t = readings[600].timestamp;
      expect(v.check({ timestamp: t, value: 1.2 * hist.valueAt(t), source: "m" }).reason).to.equal(
        "RESIDUAL_OVER_K_SIGMA",
      );
      expect(() => new StreamingValidator(model, hist, { noise: -1 })).to.throw("noise must be >= 0");
    });

    it("interpolates forecasts between minute grid instants within a hair of the exact forecast", function () {
      const hist = LoadHistory.fromSeries(series);
      const start = Date.parse("2012-05-14T04:00:00Z");
      // Every 10 s over half a day: most instants fall between grid minutes, some on them.
      const readings = Array.from({ length: (12 * 3600) / 10 }, (_, i) => {
        const t = start + i * 10_000;
        return { timestamp: t, value: hist.valueAt(t), source: `s${i % 3}` };
      });
      const gridded = new StreamingValidator(model, hist).checkBatch(readings);
      const exact = new StreamingValidator(model, hist, { forecastStepSeconds: 0 }).checkBatch(readings);
      let worst = 0;
      for (let i = 0; i < readings.length; i++) {
        worst = Math.max(worst, Math.abs(gridded[i].modelForecast - exact[i].modelForecast));
        expect(gridded[i].ok).to.equal(exact[i].ok);
      }
      expect(worst).to.be.greaterThan(0); // the grid is in use
      expect(worst).to.be.lessThan(0.002 * model.residuals.svr.sd);
      // On a grid instant the forecast is the exact one.
      expect(gridded[0].modelForecast).to.equal(exact[0].modelForecast);
      expect(() => new StreamingValidator(model, hist, { forecastStepSeconds: 0.5 })).to.throw("forecastStepSeconds");
    });

    it("shares a twin's forecasts: its verdicts are an unshared validator's, each instant forecast once for both", async function () {
      const hist = LoadHistory.fromSeries(series);
      const start = Date.parse("2012-05-14T04:00:00Z");
      const rng = createRng(5);
      // Two sources a minute apart with their own temperatures (exact forecasts), one spiking now and then.
      const readings = Array.from({ length: 2 * 6 * 60 }, (_, i) => {
        const t = start + Math.floor(i / 2) * 60_000;
        const spike = i % 97 === 0 ? 1.3 : 1;
        const temperatureC = hist.temperatureAt(t);
        return {
          timestamp: t,
          value: hist.valueAt(t) * spike * (1 + 0.002 * rng.normal()),
          temperatureC,
          source: `s${i % 2}`,
        };
      });
      const options = { noise: 0.002, levelK: 4.5 };
      const alone = new StreamingValidator(model, hist, options);
      const unshared = [new StreamingValidator(model, hist, options), new StreamingValidator(model, hist, options)];
      const main = new StreamingValidator(model, hist, options);
      const shadow = main.twin();
      const once = await countingForecasts(() => alone.checkBatch(readings));
      const twice = await countingForecasts(() => readings.map((r) => unshared.map((v) => v.check(r))));
      const shared = await countingForecasts(() => readings.map((r) => [main.check(r), shadow.check(r)]));
      expect(shared.result).to.deep.equal(twice.result);
      expect(shared.result.flat().some((r) => !r.ok)).to.equal(true);
      expect(twice.evaluations).to.equal(2 * once.evaluations);
      expect(shared.evaluations).to.equal(once.evaluations);
    });
  });

  describe("openValidator", function () {
    it("trains the fast preset once, caches the model and loads it on the next run", async function () {
      const dir = mkdtempSync(join(tmpdir(), "val-open-"));
      const data = join(dir, "load.csv");
      writeFileSync(data, syntheticCsv(11));
      const opts = {
        data,
        trainFrom: "2012-04-02",
        trainTo: "2012-04-29",
        valFrom: "2012-04-30",
        valTo: "2012-05-06",
        modelPath: join(dir, "model.json"),
      };
      const first = await openValidator(opts);
      expect(first.loaded).to.equal(false);
      expect(first.model.trainedOn.preset).to.equal("fast");
      const second = await openValidator(opts);
      expect(second.loaded).to.equal(true);
      const reading = { timestamp: "2012-05-15T14:15:00Z", value: 3300, temperatureC: 15, source: "T1" };
      expect(second.validator.check(reading)).to.deep.equal(first.validator.check(reading));
    });
  });
});
