import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng } from "../../src/common/rng";
import { localClock } from "../../src/validation/clock";
import { buildDataset, degreeDayDependence, selectFactors } from "../../src/validation/dataset";
import { factorRow, N_FACTORS } from "../../src/validation/features";
import { LoadHistory } from "../../src/validation/history";
import { injectAnomalies, type Injection } from "../../src/validation/inject";
import { delayStats, detectionMetrics, nabScore, nabSigmoid } from "../../src/validation/metrics";
import type { ValidatorModel } from "../../src/validation/model";
import { PeerConsensus } from "../../src/validation/peers";
import { RollingRefit } from "../../src/validation/refit";
import { prepare } from "../../src/validation/run";
import { readLoadCsv, type LoadSeries } from "../../src/validation/series";
import { PEER_STAGE_RULES, ValidateStage } from "../../src/validation/stage";
import { streamValidate } from "../../src/validation/stream";
import { RefitThread } from "../../src/validation/refitThread";
import { refitModel, trainValidatorModel } from "../../src/validation/train";
import { DEFAULT_CUSUM_H, decimalStep, StreamingValidator } from "../../src/validation/validator";

const H = 3_600_000;
const START = Date.parse("2012-04-02T04:00:00Z");

/** Hourly synthetic load (weekly shape, U-shaped in temperature, small noise), `weeks` long, seeded. */
function csv(seed: number, weeks = 7, level = (_i: number) => 0): string {
  const rng = createRng(seed);
  const rows: string[] = [];
  for (let i = 0; i < 24 * 7 * weeks; i++) {
    const hour = i % 24;
    const day = Math.floor(i / 24) % 7;
    const temp = 18 + 12 * Math.sin((2 * Math.PI * i) / (24 * 9)) + 2 * rng.normal();
    const load =
      3000 +
      600 * Math.sin((2 * Math.PI * (hour - 7)) / 24) -
      (day >= 5 ? 400 : 0) +
      6 * (temp - 18) ** 2 +
      level(i) +
      15 * rng.normal();
    rows.push(`${new Date(START + i * H).toISOString()},${load.toFixed(1)},${temp.toFixed(2)}`);
  }
  return ["timestamp,load_mw,temperature_c", ...rows].join("\n") + "\n";
}

const seriesOf = (seed: number, weeks?: number, level?: (i: number) => number): LoadSeries =>
  readLoadCsv("synthetic.csv", { text: csv(seed, weeks, level) });

async function trainOn(series: LoadSeries): Promise<ValidatorModel> {
  const clock = localClock("us-eastern");
  const hist = LoadHistory.fromSeries(series);
  const trainEnd = START + 35 * 24 * H;
  const train = buildDataset(series, hist, clock, series.timestamps[0], trainEnd - 1);
  const val = buildDataset(series, hist, clock, trainEnd, trainEnd + 7 * 24 * H - 1);
  return (
    await trainValidatorModel(
      train,
      val,
      { file: "synthetic.csv", zone: "us-eastern" },
      { svrParams: { C: 10, epsilon: 0.1, gamma: 0.2 }, maxTrainRows: 600, elmGrid: { hidden: [30], C: [10] } },
    )
  ).model;
}

/** The model with its one-step calibration replaced: strongly autocorrelated residuals, small hourly steps. */
function withResiduals(model: ValidatorModel, sd: number, rho: number, step: number): ValidatorModel {
  const stats = { mean: 0, sd, rho1h: rho, sdStep: step, sdStepByHour: new Array<number>(24).fill(step), n: 1000 };
  return { ...model, residuals: { ...model.residuals, svr: stats } };
}

describe("validation: detector, metrics, peers (issue 14)", function () {
  this.timeout(120_000);
  let series: LoadSeries;
  let model: ValidatorModel;

  before(async function () {
    series = seriesOf(5);
    model = await trainOn(series);
  });

  describe("factor screen", function () {
    it("keeps calendar factors and a U-shaped temperature that Pearson's screen drops", function () {
      const hist = LoadHistory.fromSeries(series);
      const d = buildDataset(series, hist, localClock("us-eastern"), series.timestamps[0], START + 35 * 24 * H);
      const pearson = Object.fromEntries(selectFactors(d, 0.2, "pearson").map((f) => [f.name, f]));
      const screen = Object.fromEntries(selectFactors(d).map((f) => [f.name, f]));
      // The U shape: h(T) is small, the degree terms are not.
      expect(Math.abs(pearson.temperature.h as number)).to.be.lessThan(0.2);
      expect(pearson.temperature.kept).to.equal(false);
      expect(pearson.weekdaySin.kept || pearson.weekdayCos.kept).to.equal(false);
      expect(screen.temperature.kept).to.equal(true);
      expect(screen.temperature.rule).to.equal("degreeDays");
      expect(screen.temperature.score).to.be.greaterThan(0.2);
      for (const f of ["hourSin", "hourCos", "weekdaySin", "weekdayCos", "holiday"]) {
        expect(screen[f].kept, f).to.equal(true);
        expect(screen[f].rule).to.equal("calendar");
      }
      expect(screen.lag24.rule).to.equal("pearson");
    });

    it("measures degree-day dependence as the strongest |h| of T, HDD and CDD", function () {
      const t = Array.from({ length: 200 }, (_, i) => -10 + (40 * i) / 199);
      const load = t.map((x) => (x - 18.3) ** 2);
      expect(Math.abs(degreeDayDependence(t, load) as number)).to.be.greaterThan(0.8);
      expect(degreeDayDependence([5], [1])).to.equal(null);
    });
  });

  describe("ranges", function () {
    it("refuses a validation range that overlaps the training range", async function () {
      const dir = mkdtempSync(join(tmpdir(), "val-overlap-"));
      const data = join(dir, "load.csv");
      writeFileSync(data, csv(3));
      // Plain try/catch: `npm run test:unit` runs without chai-as-promised.
      const error = await prepare({
        data,
        trainFrom: "2012-04-02",
        trainTo: "2012-04-29",
        valFrom: "2012-04-20",
        valTo: "2012-05-06",
      }).then(
        () => null,
        (e: Error) => e,
      );
      expect(error?.message).to.contain("the training range (2012-04-02 .. 2012-04-29) overlaps the validation range");
    });

    /** prepare()'s error, or null: plain try/catch, `npm run test:unit` runs without chai-as-promised. */
    const prepareError = (opts: Parameters<typeof prepare>[0]): Promise<Error | null> =>
      prepare(opts).then(
        () => null,
        (e: Error) => e,
      );
    const rangesData = (): string => {
      const data = join(mkdtempSync(join(tmpdir(), "val-cal-")), "load.csv");
      writeFileSync(data, csv(3));
      return data;
    };
    const fast = { preset: "fast" as const, train: { elm: false, maxTrainRows: 600 } };

    it("refuses a calibration slice that overlaps the training or the validation range", async function () {
      const data = rangesData();
      const base = { data, trainFrom: "2012-04-02", trainTo: "2012-04-22", valFrom: "2012-04-30", valTo: "2012-05-06" };
      const inTraining = await prepareError({ ...base, calFrom: "2012-04-20", calTo: "2012-04-29" });
      expect(inTraining?.message).to.contain("overlaps the calibration range (2012-04-20 .. 2012-04-29)");
      expect(inTraining?.message).to.contain("the training range (2012-04-02 ..");
      const inValidation = await prepareError({ ...base, calFrom: "2012-04-23", calTo: "2012-05-01" });
      expect(inValidation?.message).to.contain(
        "the calibration range (2012-04-23 .. 2012-05-01) overlaps the validation range (2012-04-30 .. 2012-05-06): " +
          "the detector would be tuned on the rows that calibrate it",
      );
      const half = await prepareError({ ...base, calFrom: "2012-04-23" });
      expect(half?.message).to.contain("give both --cal-from and --cal-to, or neither");
    });

    it("holds the tail of the training range out of the fit and calibrates the residuals on it", async function () {
      // The last training week is noisy (+/- 300 MW): only a calibration on that week sees a large sd_res.
      const data = join(mkdtempSync(join(tmpdir(), "val-cal-")), "load.csv");
      const noisy = (i: number): number => (i >= 24 * 7 * 3 && i < 24 * 7 * 4 ? 300 * Math.sin(1.7 * i) : 0);
      writeFileSync(data, csv(3, 7, noisy));
      const ranges = {
        data,
        trainFrom: "2012-04-02",
        trainTo: "2012-04-29",
        valFrom: "2012-04-30",
        valTo: "2012-05-06",
      };
      const p = await prepare({ ...ranges, ...fast });
      const calFrom = p.ranges.calFrom;
      expect(p.cal?.n).to.be.greaterThan(100);
      expect(p.ranges.calTo).to.equal(Date.parse("2012-04-30T03:59:59.999Z"));
      expect(p.ranges.trainTo).to.be.lessThan(calFrom);
      expect(Math.max(...p.train.timestamps)).to.be.lessThan(calFrom);
      expect(Math.min(...p.cal!.timestamps)).to.be.at.least(calFrom);
      // The noisy week is the calibration slice (the last 25% of the training rows).
      expect(calFrom).to.be.at.most(START + 24 * 7 * 3 * H + 24 * H);
      const old = await prepare({ ...ranges, ...fast, calibration: "validation" });
      expect(old.cal).to.equal(null);
      // The slice's noise has sd 212 MW; the validation week is clean.
      expect(p.model.residuals.svr!.sd).to.be.greaterThan(200);
      expect(p.model.residuals.svr!.sd).to.be.greaterThan(1.8 * old.model.residuals.svr!.sd);
      // The returned model is still fitted on every row up to the validation range's end.
      expect(p.model.trainedOn.to).to.equal(old.model.trainedOn.to);
    });
  });

  describe("temperature known at the reading's time", function () {
    it("uses the last hourly temperature at hh:15, whatever the next hour brings", function () {
      const text = csv(5);
      const later = readLoadCsv("b.csv", {
        text: text.replace(/(2012-05-15T15:00:00.000Z,[0-9.]+),([0-9.-]+)/, (_m, head) => `${head},40.00`),
      });
      const t = Date.parse("2012-05-15T14:15:00Z");
      const a = new StreamingValidator(model, LoadHistory.fromSeries(series), { forecastStepSeconds: 0 });
      const b = new StreamingValidator(model, LoadHistory.fromSeries(later), { forecastStepSeconds: 0 });
      expect(b.forecastAt(t)).to.equal(a.forecastAt(t));
      const hist = LoadHistory.fromSeries(series);
      expect(a.forecastAt(t)).to.equal(a.forecastAt(t, hist.temperatureAt(Date.parse("2012-05-15T14:00:00Z"))));
      const row = new Float64Array(N_FACTORS);
      factorRow(t, NaN, hist, localClock("us-eastern"), row);
      expect(row[5]).to.equal(hist.temperatureKnownAt(t));
    });
  });

  describe("StreamingValidator rules", function () {
    const t0 = Date.parse("2012-05-14T04:00:00Z");

    it("flags a one-step jump that the plain k-sigma band would accept (the old confirmation branch)", function () {
      // sd 100, rho 0.95, hourly step 20: a jump of 150 is 7.5 step-sigma but only 1.5 sd_res.
      const m = withResiduals(model, 100, 0.95, 20);
      const v = new StreamingValidator(m, LoadHistory.fromSeries(series), { cusumH: Infinity });
      for (let i = 0; i < 6; i++)
        expect(v.check({ timestamp: t0 + i * H, value: v.forecastAt(t0 + i * H) }).ok).to.equal(true);
      const t = t0 + 6 * H;
      const r = v.check({ timestamp: t, value: v.forecastAt(t) + 150 });
      expect(r.ok).to.equal(false);
      expect(r.flaggedBy).to.equal("one-step");
      expect(r.reason).to.equal("RESIDUAL_OVER_K_SIGMA");
    });

    it("flags a slow drift with the CUSUM before the level check sees it", function () {
      const m = withResiduals(model, 100, 0.95, 20);
      const v = new StreamingValidator(m, LoadHistory.fromSeries(series), { k: 5, levelK: 5, cusumK: 0.5, cusumH: 5 });
      const out = Array.from({ length: 12 }, (_, i) => {
        const t = t0 + i * H;
        return v.check({ timestamp: t, value: v.forecastAt(t) + (i >= 4 ? 30 * (i - 3) : 0) });
      });
      const first = out.findIndex((r) => !r.ok);
      expect(first).to.be.within(5, 8);
      expect(out[first].flaggedBy).to.equal("cusum");
      expect(out[first].reason).to.equal("CUSUM_DRIFT");
      // Without the CUSUM the same drift passes those hours.
      const plain = new StreamingValidator(m, LoadHistory.fromSeries(series), { k: 5, levelK: 5, cusumH: Infinity });
      const passed = Array.from({ length: first + 1 }, (_, i) => {
        const t = t0 + i * H;
        return plain.check({ timestamp: t, value: plain.forecastAt(t) + (i >= 4 ? 30 * (i - 3) : 0) }).ok;
      });
      expect(passed.every(Boolean)).to.equal(true);
    });

    it("flags a level far off the robust running spread, and accepts the return to normal", function () {
      const m = withResiduals(model, 50, 0.95, 1000);
      const v = new StreamingValidator(m, LoadHistory.fromSeries(series), { levelK: 4, k: 100, cusumH: Infinity });
      for (let i = 0; i < 3; i++) v.check({ timestamp: t0 + i * H, value: v.forecastAt(t0 + i * H) });
      const off = v.check({ timestamp: t0 + 3 * H, value: v.forecastAt(t0 + 3 * H) + 300 });
      expect(off.flaggedBy).to.equal("level");
      expect(off.reason).to.equal("LEVEL_OVER_K_SIGMA");
      expect(v.check({ timestamp: t0 + 4 * H, value: v.forecastAt(t0 + 4 * H) }).ok).to.equal(true);
    });

    it("folds a peer verdict into the check and never takes that reading as the reference", function () {
      const v = new StreamingValidator(model, LoadHistory.fromSeries(series));
      const r = v.check({ timestamp: t0, value: v.forecastAt(t0), source: "a" }, { peerFlagged: true });
      expect(r.ok).to.equal(false);
      expect(r.flaggedBy).to.equal("peer");
      expect(r.reasons).to.deep.equal(["PEER_DEVIATION"]);
    });

    context("when a meter reading every 15 minutes freezes (stuck)", function () {
      // 1% noise, readings quantised to 0.05 load units: the chance of one exact repeat is ~ 5e-4.
      const q = 0.05;
      const stream = (v: StreamingValidator, seed: number, freezeAt: number, n: number) => {
        const rng = createRng(seed);
        let frozen = NaN;
        return Array.from({ length: n }, (_, i) => {
          const t = t0 + i * 900_000;
          const live = Math.round((v.forecastAt(t) * (1 + 0.01 * rng.normal())) / q) * q;
          if (i === freezeAt) frozen = live;
          const value = i > freezeAt ? frozen : live;
          return v.check({ timestamp: t, value, source: "m", noise: 0.01, resolution: q });
        });
      };

      it("flags the frozen value by its second repeat (the 2-reading budget)", function () {
        const v = new StreamingValidator(model, LoadHistory.fromSeries(series));
        const out = stream(v, 3, 40, 60);
        expect(out.slice(0, 41).every((r) => r.ok)).to.equal(true);
        const first = out.findIndex((r, i) => i > 40 && !r.ok);
        expect(first).to.be.within(41, 42);
        expect(out[first].reason).to.equal("STUCK");
        expect(out[first].flaggedBy).to.equal("stuck");
      });

      it("accepts the exact repeats a coarse meter gives on its own", function () {
        // Resolution 10 load units against a one-step spread of ~40: clean repeats are common and not stuck.
        const v = new StreamingValidator(model, LoadHistory.fromSeries(series));
        const rng = createRng(4);
        let repeats = 0;
        let last = NaN;
        for (let i = 0; i < 4 * 24 * 4; i++) {
          const t = t0 + i * 900_000;
          const value = Math.round((v.forecastAt(t) * (1 + 0.01 * rng.normal())) / 10) * 10;
          if (value === last) repeats++;
          last = value;
          expect(v.check({ timestamp: t, value, source: "c", noise: 0.01, resolution: 10 }).ok).to.equal(true);
        }
        expect(repeats).to.be.greaterThan(5);
      });

      it("takes the step of the value's decimals when no resolution is given", function () {
        expect(decimalStep(3400)).to.equal(1);
        expect(decimalStep(3400.25)).to.equal(0.01);
        expect(decimalStep(1.5e-7)).to.be.closeTo(1e-8, 1e-20);
        // Exponent forms with and without a fraction, and values at the ends of the range.
        expect(decimalStep(1e21)).to.equal(1e21);
        expect(decimalStep(1.234e25)).to.equal(1e22);
        expect(decimalStep(-5.5)).to.equal(0.1);
        expect(decimalStep(0)).to.equal(1);
        expect(decimalStep(5e-324)).to.equal(10 ** -324);
      });
    });

    context("when the one-hour errors run larger than the calibration's (another season)", function () {
      // Calibrated hourly step sigma 20; the stream's residual moves by about 45 an hour for two weeks.
      const start = START + 8 * 24 * H;
      const hours = 14 * 24;
      /** Streams two weeks; returns the flags and the model residual of the last reading (accepted). */
      function stream(v: StreamingValidator): { flags: number; last: number } {
        const rng = createRng(9);
        let e = 0;
        let flags = 0;
        let last = NaN;
        for (let i = 0; i < hours; i++) {
          e = 0.95 * e + 45 * Math.max(-3.5, Math.min(3.5, rng.normal()));
          const t = start + i * H;
          const r = v.check({ timestamp: t, value: v.forecastAt(t) + e });
          if (!r.ok) flags++;
          last = r.ok ? e : NaN;
        }
        return { flags, last };
      }
      /** A reading `size` off the one-step forecast (the last accepted residual carried over one hour). */
      const jump = (v: StreamingValidator, last: number, size: number) => {
        expect(last).to.not.be.NaN;
        const t = start + hours * H;
        return v.check({ timestamp: t, value: v.forecastAt(t) + 0.95 * last + size });
      };
      const options = { levelK: Infinity, cusumH: Infinity, stuckHours: Infinity, stuckAlpha: 0 };

      it("widens the one-step band to the stream's own one-hour errors instead of flagging them", function () {
        const m = withResiduals(model, 100, 0.95, 20);
        const adaptive = new StreamingValidator(m, LoadHistory.fromSeries(series), options);
        const fixed = new StreamingValidator(m, LoadHistory.fromSeries(series), { ...options, innovationScaleMax: 1 });
        const a = stream(adaptive);
        const f = stream(fixed);
        expect(f.flags).to.be.greaterThan(0);
        expect(a.flags).to.be.lessThan(f.flags);
        // A jump of 150 (7.5 calibrated sigma, under 4 of the stream's own) passes the adapted band only.
        expect(jump(fixed, f.last, 150).flaggedBy).to.equal("one-step");
        expect(jump(adaptive, a.last, 150).ok).to.equal(true);
      });

      it("never widens the band beyond innovationScaleMax times the calibration", function () {
        const m = withResiduals(model, 100, 0.95, 20);
        const adaptive = new StreamingValidator(m, LoadHistory.fromSeries(series), options);
        const a = stream(adaptive);
        // 6 x 2 x 20 = 240 is the widest band.
        expect(jump(adaptive, a.last, 260).flaggedBy).to.equal("one-step");
      });
    });

    it("rejects invalid detector settings with the option's name", function () {
      const hist = LoadHistory.fromSeries(series);
      expect(() => new StreamingValidator(model, hist, { cusumH: 0 })).to.throw("cusumH must be > 0");
      expect(() => new StreamingValidator(model, hist, { levelK: -1 })).to.throw("levelK must be > 0");
      expect(() => new StreamingValidator(model, hist, { innovationScaleMax: 0.5 })).to.throw(
        "innovationScaleMax must be >= 1",
      );
    });
  });

  describe("metrics", function () {
    it("gives mean, median and nearest-rank p90 of delays", function () {
      expect(delayStats([3, 1, 2, 10])).to.deep.equal({ mean: 4, median: 2.5, p90: 10 });
      expect(delayStats([])).to.deep.equal({ mean: null, median: null, p90: null });
    });

    it("scores NAB 100 for flags at each window's start, 0 for none, and charges false positives", function () {
      const events = [{ first: 50, last: 52 }];
      const flags = (idx: number[]) => Array.from({ length: 200 }, (_, i) => idx.includes(i));
      const nh = Math.floor((0.1 * 200) / 1 / 2);
      expect(nabScore(flags([50 - nh]), events)).to.be.closeTo(100, 1e-9);
      expect(nabScore(flags([]), events)).to.equal(0);
      expect(nabScore(flags([50, 150]), events)).to.be.lessThan(nabScore(flags([50]), events) as number);
      expect(nabSigmoid(4)).to.equal(-1);
      expect(nabScore(flags([1]), [])).to.equal(null);
    });

    it("counts events in budget, delays, early drift flags and collateral flags", function () {
      const n = 1000;
      const timestamps = Array.from({ length: n }, (_, i) => START + i * H);
      const truth = new Array<number>(n).fill(1000);
      const inj: Injection = injectAnomalies(truth, H, 1, {
        eventsPer30Days: 0.72,
        separationHours: 20,
        driftHours: 10,
        driftMin: 0.3,
        driftMax: 0.3,
      });
      const flagged = new Array<boolean>(n).fill(false);
      const drift = inj.events.find((e) => e.kind === "drift")!;
      const spike = inj.events.find((e) => e.kind === "spike")!;
      flagged[spike.start] = true;
      flagged[drift.start + 2] = true; // 9% error: before 10%
      const end = drift.start + drift.length;
      flagged[end + 1] = true; // after the drift's reset: collateral
      const m = detectionMetrics(timestamps, flagged, inj, truth, { flags: 3, days: 10 });
      expect(m.events.spike).to.deep.include({ injected: 1, inBudget: 1, recall: 1 });
      expect(m.events.drift?.inBudget).to.equal(1);
      // First labelled at 6% error (start + 1), flagged an hour later at 9%.
      expect(m.events.drift?.delayHours.mean).to.equal(1);
      expect(m.driftBeforeError).to.deep.equal({ "10": 1, "20": 1 });
      expect(m.events.unit?.recall).to.equal(0);
      expect(m.counts).to.deep.include({ flags: 3, onAnomalies: 2, collateral: 1, falseAlarms: 0 });
      expect(m.precision).to.be.closeTo(2 / 3, 1e-12);
      expect(m.cleanFalseAlarmsPerDay).to.equal(0.3);
    });
  });

  describe("streams", function () {
    it("reports the issue's detection block on an injected stream and the refits it ran", async function () {
      const from = START + 42 * 24 * H;
      const to = series.timestamps[series.timestamps.length - 1];
      const out = await streamValidate(model, series, from, to, {
        injectSeed: 2,
        inject: { eventsPer30Days: 6, separationHours: 8 },
        refit: { everyDays: 2, windowDays: 21, maxRows: 300 },
      });
      const d = out.detection!;
      for (const kind of ["spike", "dropout", "unit"] as const) expect(d.events[kind]?.recall, kind).to.equal(1);
      // Dense events (six of each kind a month, 8 h apart) leave after-effects: counted apart as collateral.
      expect(d.precision).to.be.greaterThan(0.75);
      expect(d.counts.collateral).to.be.greaterThan(0);
      expect(out.refit.refits).to.equal(3);
      expect(out.refit.rowsPerFit).to.equal(300);
      expect(out.flagged.every((f) => typeof f.flaggedBy === "string")).to.equal(true);
    });

    it("refits on the trailing window so a changed load level is learnt", async function () {
      const shifted = seriesOf(5, 9, (i) => (i >= 24 * 42 ? 500 : 0));
      const rolling = new RollingRefit(
        { everyDays: 7, windowDays: 14, maxRows: 400 },
        localClock("us-eastern"),
        START + 49 * 24 * H,
      );
      const t = START + 56 * 24 * H;
      expect(rolling.due(t - H)).to.equal(false);
      expect(rolling.due(t)).to.equal(true);
      const history = LoadHistory.fromSeries(shifted);
      const refitted = await rolling.refit(model, history, t);
      const probe = t + 5 * H;
      const truth = history.valueAt(probe);
      const before = new StreamingValidator(model, history).forecastAt(probe);
      const after = new StreamingValidator(refitted, history).forecastAt(probe);
      expect(Math.abs(after - truth)).to.be.lessThan(Math.abs(before - truth));
      expect(rolling.cost().refits).to.equal(1);
      expect(refitted.residuals).to.deep.equal(model.residuals);
    });
  });

  describe("PeerConsensus", function () {
    const grid = {
      branches: [
        { from: 1, to: 2, r: 0, x: 0.1, b: 0, rateA: 0, status: 1 as const },
        { from: 2, to: 3, r: 0, x: 0.1, b: 0, rateA: 0, status: 1 as const },
        { from: 3, to: 4, r: 0, x: 0.1, b: 0, rateA: 0, status: 0 as const },
      ],
    };
    const terminals = [1, 2, 3, 4].map((bus) => ({ terminalId: `T${bus}`, bus }));

    it("builds neighbourhoods from in-service branches of the IEEE case", function () {
      const p = PeerConsensus.fromCase(grid, [...terminals, { terminalId: "T2m", bus: 2 }]);
      expect(p.neighbourhoods.get("T1")).to.have.members(["T2", "T2m"]);
      expect(p.neighbourhoods.get("T2")).to.have.members(["T1", "T3", "T2m"]);
      expect(p.neighbourhoods.get("T4")).to.deep.equal([]);
      expect(PeerConsensus.fromCase(grid, terminals, 2).neighbourhoods.get("T1")).to.have.members(["T2", "T3"]);
    });

    it("looks a hop further for a terminal with fewer than minPeers neighbours that take readings", function () {
      // T2 takes no readings: one hop gives T1 no reading peer, two give it T3, three T3 and T4; T4 has two at once.
      const line = {
        branches: [1, 2, 3, 4].map((from) => ({
          from,
          to: from + 1,
          r: 0,
          x: 0.1,
          b: 0,
          rateA: 0,
          status: 1 as const,
        })),
      };
      const five = [1, 2, 3, 4, 5].map((bus) => ({ terminalId: `T${bus}`, bus, reads: bus !== 2 }));
      const p = PeerConsensus.fromCase(line, five);
      expect(p.neighbourhoods.get("T1")).to.have.members(["T2", "T3", "T4"]);
      expect(p.neighbourhoods.get("T4")).to.have.members(["T3", "T5"]);
      expect(p.neighbourhoods.get("T3")).to.have.members(["T1", "T2", "T4", "T5"]);
      expect(PeerConsensus.fromCase(line, five, 1, {}, 1).neighbourhoods.get("T1")).to.deep.equal(["T2"]);
    });

    it("catches a 0.5%-per-hour drift of one terminal within six hours, with no flag on its peers", function () {
      const hoods = new Map(["a", "b", "c", "d"].map((s) => [s, ["a", "b", "c", "d"].filter((x) => x !== s)]));
      const p = new PeerConsensus(hoods);
      const rng = createRng(9);
      let firstFlag = -1;
      let peerFlags = 0;
      for (let i = 0; i < 24 * 4 * 3; i++) {
        const t = START + i * 900_000;
        const load = 3000 + 500 * Math.sin(i / 20);
        const driftH = Math.max(0, (i - 24 * 4 * 2) / 4);
        const readings = ["a", "b", "c", "d"].map((source) => ({
          source,
          value: load * (1 + 0.01 * rng.normal()) * (source === "a" ? 1 + 0.005 * driftH : 1),
          noise: 0.01,
        }));
        const v = p.checkInstant(t, readings);
        if (!v.get("a")!.ok && firstFlag < 0 && driftH > 0) firstFlag = i;
        if (driftH === 0 && !v.get("a")!.ok) peerFlags++;
        for (const s of ["b", "c", "d"]) if (!v.get(s)!.ok) peerFlags++;
      }
      const hours = (firstFlag - 24 * 4 * 2) / 4;
      expect(hours).to.be.within(0, 6); // under 3% error, inside a forecast's own error
      expect(peerFlags).to.be.lessThan(3);
    });

    context("when a neighbour drifts away and each terminal has only two peers", function () {
      // A ring of three: with two peers, one faulty neighbour moves the median of three.
      const ring = new Map([
        ["a", ["b", "c"]],
        ["b", ["a", "c"]],
        ["c", ["a", "b"]],
      ]);
      const run = (p: PeerConsensus, feedback: boolean) => {
        const rng = createRng(21);
        let cleanFlags = 0;
        let driftFlagged = false;
        for (let i = 0; i < 24 * 4 * 6; i++) {
          const t = START + i * 900_000;
          const load = 3000 + 500 * Math.sin(i / 20);
          // Days 3 and 5: "a" drifts 2% an hour for 12 h, then resets.
          const k = i % (24 * 4 * 2);
          const driftH = i >= 24 * 4 * 2 && k < 48 ? k / 4 : 0;
          const readings = ["a", "b", "c"].map((source) => ({
            source,
            value: load * (1 + 0.01 * rng.normal()) * (source === "a" ? 1 + 0.02 * driftH : 1),
            noise: 0.01,
          }));
          const v = p.checkInstant(t, readings);
          if (driftH > 0 && !v.get("a")!.ok) driftFlagged = true;
          for (const s of ["b", "c"]) if (!v.get(s)!.ok) cleanFlags++;
          // The stage reports the validator's final verdicts: a flagged drift is quarantined.
          if (feedback)
            for (const [s, verdict] of v) p.noteVerdict(s, verdict.ok && !(s === "a" && driftH > 0 && driftFlagged));
        }
        return { cleanFlags, driftFlagged };
      };

      it("leaves the suspect neighbour out of the median, so its clean peers are not flagged", function () {
        const r = run(new PeerConsensus(ring), true);
        expect(r.driftFlagged).to.equal(true);
        expect(r.cleanFlags).to.equal(0);
      });

      it("leaves out a neighbour whose own deviation is large even before any verdict", function () {
        expect(run(new PeerConsensus(ring), false).cleanFlags).to.equal(0);
      });

      it("does not judge a reading whose healthy peers are fewer than minPeers", function () {
        const p = new PeerConsensus(ring);
        p.checkInstant(START, [
          { source: "a", value: 100 },
          { source: "b", value: 100 },
          { source: "c", value: 100 },
        ]);
        p.noteVerdict("a", false);
        const v = p.checkInstant(START + 900_000, [
          { source: "a", value: 100 },
          { source: "b", value: 100 },
          { source: "c", value: 100 },
        ]);
        expect(v.get("b")!.peers).to.equal(0);
        expect(v.get("a")!.peers).to.equal(2);
      });
    });

    it("does not judge a reading with too few peers", function () {
      const p = new PeerConsensus(new Map([["a", ["b"]]]));
      expect(p.checkInstant(START, [{ source: "a", value: 10 }]).get("a")).to.deep.equal({
        ok: true,
        deviation: NaN,
        peers: 0,
      });
      expect(() => new PeerConsensus(new Map(), { k: 0 })).to.throw("PeerConsensus: invalid options");
    });
  });

  describe("ValidateStage", function () {
    it("takes lags from the validated history and reports verdicts with and without the peer check", function () {
      const startMs = START + 42 * 24 * H;
      const sources = ["a", "b", "c"];
      const hoods = new Map(sources.map((s) => [s, sources.filter((x) => x !== s)]));
      const stage = new ValidateStage({ model, series, startMs, peers: new PeerConsensus(hoods) });
      expect(stage.history.end).to.be.lessThan(startMs); // nothing of the file from the start on
      const file = LoadHistory.fromSeries(series);
      const at = (t: number, spike = 1) =>
        sources.map((source) => ({ source, timestamp: t, value: file.valueAt(t) * (source === "a" ? spike : 1) }));
      stage.checkReadings([...at(startMs), ...at(startMs + H, 1.5)]);
      // The spiked reading is quarantined, so the history holds the peers' consensus, not the spike.
      expect(stage.history.valueAt(startMs + H)).to.equal(file.valueAt(startMs + H));
      const out = stage.checkInstant(startMs + 2 * H, at(startMs + 2 * H));
      expect(out.every((c) => c.result.ok && c.withoutPeer!.ok)).to.equal(true);
      // A late instant is still checked, against the history as it stands, and adds nothing to it.
      const end = stage.history.end;
      expect(stage.checkInstant(startMs, at(startMs))).to.have.length(3);
      expect(stage.history.end).to.equal(end);
      expect(stage.lastInstant).to.equal(startMs + 2 * H);
    });

    it("leaves drifts to the peer check: with peers the CUSUM keeps the stage's higher threshold", function () {
      const startMs = START + 42 * 24 * H;
      const m = withResiduals(model, 200, 0.95, 40);
      const file = LoadHistory.fromSeries(series);
      // Every source drifts alike (+60 an hour from hour 4) off the model's forecast, so the peers agree and only the
      // CUSUM can see it.
      const drift = (i: number) => (i >= 4 ? 60 * (i - 3) : 0);
      const firstFlag = (peers: PeerConsensus | null, sources: string[]) => {
        const stage = new ValidateStage({ model: m, series, startMs, peers });
        for (let i = 0; i < 14; i++) {
          const t = startMs + i * H;
          const temperatureC = file.temperatureKnownAt(t);
          const value = stage.validator.forecastAt(t, temperatureC) + drift(i);
          const out = stage.checkInstant(
            t,
            sources.map((source) => ({ source, timestamp: t, value, temperatureC })),
          );
          const bad = out.find((c) => !c.result.ok);
          if (bad) return { hour: i, rule: bad.result.flaggedBy };
        }
        return null;
      };
      const alone = firstFlag(null, ["a"]);
      expect(alone, JSON.stringify(alone)).to.not.equal(null);
      expect(alone?.rule, JSON.stringify(alone)).to.equal("cusum");
      expect(alone?.hour).to.be.within(9, 12);
      const sources = ["a", "b", "c"];
      const hoods = new Map(sources.map((x) => [x, sources.filter((y) => y !== x)]));
      expect(firstFlag(new PeerConsensus(hoods), sources)).to.equal(null);
      expect(PEER_STAGE_RULES.cusumH).to.be.greaterThan(DEFAULT_CUSUM_H);
    });

    it("fills a gap longer than the interpolation limit from the file, so later lags are not missing", function () {
      const startMs = START + 42 * 24 * H;
      const stage = new ValidateStage({ model, series, startMs, peers: null });
      const file = LoadHistory.fromSeries(series);
      const reading = (t: number) => ({ source: "a", timestamp: t, value: file.valueAt(t) });
      stage.checkReadings([reading(startMs)]);
      const later = startMs + 30 * H; // the stream was away for 30 hours
      const [c] = stage.checkReadings([reading(later)]);
      expect(c.result.reason).to.not.equal("NO_HISTORY");
      expect(stage.history.valueAt(startMs + 12 * H)).to.equal(file.valueAt(startMs + 12 * H));
    });

    it("refits the model weekly on the validated history and reports the cost", async function () {
      this.timeout(60_000);
      const startMs = START + 42 * 24 * H;
      const stage = new ValidateStage({
        model,
        series,
        startMs,
        peers: null,
        refit: { everyDays: 1, windowDays: 30, maxRows: 200 },
      });
      const file = LoadHistory.fromSeries(series);
      expect(await stage.refitIfDue(startMs + H)).to.equal(false);
      for (let t = startMs; t < startMs + 25 * H; t += H)
        stage.checkReadings([{ source: "a", timestamp: t, value: file.valueAt(t) }]);
      expect(await stage.refitIfDue(startMs + 25 * H)).to.equal(true);
      expect(await stage.refitIfDue(startMs + 26 * H)).to.equal(false);
      const cost = stage.refitCost();
      expect(cost.refits).to.equal(1);
      expect(cost.rowsPerFit).to.be.within(10, 200);
      expect(cost.totalMs).to.be.at.least(0);
    });

    context("when a process restarts from a snapshot", function () {
      const sources = ["a", "b", "c"];
      const hoods = new Map(sources.map((s) => [s, sources.filter((x) => x !== s)]));
      const startMs = START + 42 * 24 * H;
      const refit = { everyDays: 1, windowDays: 30, maxRows: 200 };
      const build = (runner?: RefitThread["run"]) =>
        new ValidateStage({
          model,
          series,
          startMs,
          peers: new PeerConsensus(hoods),
          refit,
          ...(runner ? { refitRunner: runner } : {}),
        });
      let file: LoadHistory;
      before(() => (file = LoadHistory.fromSeries(series)));
      // Quarter-hourly readings with noise, a spike on "b" and a drift on "a", so every kind of state is exercised.
      const instant = (i: number) => {
        const t = startMs + i * 900_000;
        const rng = createRng(1000 + i);
        return sources.map((source) => ({
          source,
          timestamp: t,
          noise: 0.01,
          value:
            (Math.round(file.valueAt(t) * (1 + 0.01 * rng.normal()) * 10) / 10) *
            (source === "b" && i === 50 ? 1.4 : 1) *
            (source === "a" && i > 120 ? 1 + 0.002 * (i - 120) : 1),
        }));
      };
      const feed = async (stage: ValidateStage, from: number, to: number) => {
        const out: string[] = [];
        for (let i = from; i < to; i++) {
          const readings = instant(i);
          await stage.refitIfDue(readings[0].timestamp);
          for (const c of stage.checkReadings(readings))
            out.push(`${c.reading.source} ${c.result.ok} ${c.result.reason} ${c.result.forecast} ${c.withoutPeer!.ok}`);
        }
        return out;
      };
      let thread: RefitThread;
      before(() => (thread = new RefitThread()));
      after(() => thread.close());

      it("gives the same verdicts as the stage that never stopped, with its refits on a worker thread", async function () {
        this.timeout(120_000);
        const live = build();
        await feed(live, 0, 110); // past the first refit (one day in)
        const text = live.snapshot();
        const resumed = build(thread.run);
        expect(resumed.restore(text)).to.deep.equal({ ok: true });
        expect(resumed.lastInstant).to.equal(live.lastInstant);
        // Two more refits on the way, the resumed stage's on the thread.
        const a = await feed(live, 110, 110 + 4 * 24 * 2);
        const b = await feed(resumed, 110, 110 + 4 * 24 * 2);
        expect(b).to.deep.equal(a);
        expect(a.some((v) => v.includes("false"))).to.equal(true);
        expect(resumed.refitCost().refits).to.equal(live.refitCost().refits);
        expect(live.refitCost().refits).to.equal(3);
      });

      it("resumes from the snapshot's parts, its history kept apart a delta at a time, as from the whole", async function () {
        this.timeout(120_000);
        const live = build();
        await feed(live, 0, 60);
        const first = live.snapshotParts(-Infinity);
        await feed(live, 60, 110);
        const after = first.history.timestamps.at(-1)!;
        const second = live.snapshotParts(after);
        expect(second.history.timestamps.length, "only the samples after the first part's").to.equal(50);
        expect(second.history.timestamps[0]).to.be.greaterThan(after);
        expect(JSON.parse(second.state)).to.have.property("history", null);
        const kept = (column: "timestamps" | "load" | "temperature") =>
          [...first.history[column], ...second.history[column]].filter(
            (_v, i) => [...first.history.timestamps, ...second.history.timestamps][i] >= second.keepFrom,
          );
        const samples = { timestamps: kept("timestamps"), load: kept("load"), temperature: kept("temperature") };
        expect(build().restore(second.state)).to.deep.equal({
          ok: false,
          reason: "the snapshot's history is kept apart and was not given",
        });
        const fromParts = build();
        const whole = build();
        expect(fromParts.restore(second.state, samples)).to.deep.equal({ ok: true });
        expect(whole.restore(live.snapshot())).to.deep.equal({ ok: true });
        expect(fromParts.snapshot()).to.equal(whole.snapshot());
        expect(await feed(fromParts, 110, 150)).to.deep.equal(await feed(whole, 110, 150));
      });

      it("refuses a snapshot of another setup or a stage that has already checked readings", async function () {
        const live = build();
        await feed(live, 0, 8);
        const text = live.snapshot();
        const other = new ValidateStage({ model, series, startMs, peers: null, refit });
        expect(other.restore(text)).to.deep.equal({ ok: false, reason: "taken with another model or setup" });
        expect(live.restore(text)).to.deep.equal({ ok: false, reason: "the stage has already checked readings" });
        expect(build().restore("{")).to.have.property("ok", false);
      });
    });
  });

  describe("RefitThread", function () {
    it("fits the same model as in-process while the event loop keeps turning", async function () {
      this.timeout(120_000);
      const clock = localClock("us-eastern");
      const rows = buildDataset(series, LoadHistory.fromSeries(series), clock, START + 8 * 24 * H, START + 40 * 24 * H);
      const inProcess = await refitModel(model, rows, 400);
      const thread = new RefitThread();
      try {
        let turns = 0;
        let fitting = true;
        const spin = (): void => {
          turns++;
          if (fitting) setImmediate(spin);
        };
        setImmediate(spin);
        const fit = await thread.run(model, rows, 400).finally(() => (fitting = false));
        expect(fit.model.svr).to.deep.equal(inProcess.model.svr);
        expect(fit.model.elm).to.deep.equal(inProcess.model.elm);
        expect(fit.rows).to.equal(inProcess.rows);
        expect(turns).to.be.greaterThan(10);
        // Caught by hand, not with chai-as-promised: `npm run test:unit` runs plain mocha without it.
        const failed = await thread.run(model, { ...rows, n: 3 }, 400).then(
          () => null,
          (e: Error) => e.message,
        );
        expect(failed).to.match(/^refit thread: refit: only 3 rows/);
      } finally {
        await thread.close();
      }
    });
  });
});
