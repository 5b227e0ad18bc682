import { expect } from "chai";
import { CsvError } from "../../src/common/csv";
import { localClock, localHoursBefore, parseLocalDate } from "../../src/validation/clock";
import { buildDataset, selectFactors } from "../../src/validation/dataset";
import { factorRow, FACTORS, N_FACTORS } from "../../src/validation/features";
import { LoadHistory } from "../../src/validation/history";
import { injectAnomalies } from "../../src/validation/inject";
import { readLoadCsv } from "../../src/validation/series";
import { residualStats } from "../../src/validation/residuals";
import { createRng } from "../../src/common/rng";
import { mape, median, medianInPlace, pearson, rmse } from "../../src/validation/stats";

const H = 3_600_000;
const T0 = Date.parse("2012-01-02T05:00:00Z"); // Monday 00:00 US Eastern

function csv(rows: string[], header = "timestamp,load_mw,temperature_c"): string {
  return [header, ...rows].join("\n") + "\n";
}
const row = (i: number, load: number, temp = 5): string => `${new Date(T0 + i * H).toISOString()},${load},${temp}`;

describe("validation: data", function () {
  describe("readLoadCsv", function () {
    it("reads timestamp, load and temperature and ignores other columns", function () {
      const s = readLoadCsv("a.csv", {
        text: csv([row(0, 100) + ",x", row(1, 110) + ",y"], "timestamp,load_mw,temperature_c,note"),
      });
      expect(s.load).to.deep.equal([100, 110]);
      expect(s.temperature).to.deep.equal([5, 5]);
      expect(s.stepMs).to.equal(H);
      expect(s.lines).to.deep.equal([2, 3]);
    });

    it("accepts a file without temperature", function () {
      const s = readLoadCsv("b.csv", {
        text: csv([`${new Date(T0).toISOString()},1`, `${new Date(T0 + H).toISOString()},2`], "timestamp,load_mw"),
      });
      expect(s.temperature).to.equal(null);
    });

    it("names file, line and column of a malformed number", function () {
      const text = csv([row(0, 100), row(1, 100).replace(",100,", ",1o0,"), row(2, 100)]);
      expect(() => readLoadCsv("c.csv", { text })).to.throw(CsvError, 'c.csv:3 column "load_mw": not a number: "1o0"');
    });

    it("names the line of a timestamp without zone, a duplicate and an out-of-order row", function () {
      expect(() => readLoadCsv("d.csv", { text: csv([row(0, 1), "2012-01-02 06:00,1,5"]) })).to.throw(
        CsvError,
        "d.csv:3",
      );
      expect(() => readLoadCsv("e.csv", { text: csv([row(0, 1), row(1, 1), row(1, 2)]) })).to.throw(
        CsvError,
        'e.csv:4 column "timestamp": duplicate timestamp (line 3)',
      );
      expect(() => readLoadCsv("f.csv", { text: csv([row(0, 1), row(2, 1), row(1, 2)]) })).to.throw(
        CsvError,
        'f.csv:4 column "timestamp": timestamp earlier than the row before (line 3)',
      );
    });

    it("names the missing column and a row with too few cells", function () {
      expect(() => readLoadCsv("g.csv", { text: "timestamp,value\n" })).to.throw(CsvError, 'g.csv:1 column "load_mw"');
      expect(() => readLoadCsv("h.csv", { text: csv([row(0, 1), "2012-01-02T06:00:00Z,1"]) })).to.throw(
        CsvError,
        "h.csv:3: expected 3 cells, found 2",
      );
    });

    it("skips malformed rows only when asked, and counts and lists them", function () {
      const text = csv([row(0, 1), row(1, NaN), row(2, 3), row(2, 4), row(3, 5)]);
      expect(() => readLoadCsv("i.csv", { text })).to.throw(CsvError, "i.csv:3");
      const s = readLoadCsv("i.csv", { text, skipMalformed: true });
      expect(s.load).to.deep.equal([1, 3, 5]);
      expect(s.skipped.map((k) => k.line)).to.deep.equal([3, 5]);
      expect(s.skipped[0].reason).to.contain("not a number");
    });

    it("detects gaps and reports how many samples are missing", function () {
      const s = readLoadCsv("j.csv", { text: csv([row(0, 1), row(1, 1), row(4, 1), row(5, 1)]) });
      expect(s.gaps).to.deep.equal([
        { after: new Date(T0 + H).toISOString(), before: new Date(T0 + 4 * H).toISOString(), missing: 2 },
      ]);
    });

    it("rejects a row off the series grid", function () {
      const text = csv([row(0, 1), row(1, 1), row(2, 1), `${new Date(T0 + 2.5 * H).toISOString()},1,5`]);
      expect(() => readLoadCsv("k.csv", { text })).to.throw(CsvError, "k.csv:5");
    });

    it("reads the bundled GEFCom file with its two DST gaps and no skipped rows", function () {
      const s = readLoadCsv("data/load/gefcom2014e_2012_2013.csv");
      expect(s.timestamps.length).to.equal(17542);
      expect(s.gaps.map((g) => g.after)).to.deep.equal(["2012-11-04T04:00:00.000Z", "2013-11-03T04:00:00.000Z"]);
      expect(s.skipped).to.have.length(0);
    });
  });

  describe("LoadHistory", function () {
    const h = new LoadHistory([0, H, 2 * H, 6 * H], [10, 20, 40, 100], [1, 2, 3, 4]);
    it("interpolates between samples and across short gaps only", function () {
      expect(h.valueAt(H)).to.equal(20);
      expect(h.valueAt(1.25 * H)).to.equal(25);
      expect(h.temperatureAt(0.5 * H)).to.equal(1.5);
      expect(h.valueAt(4 * H)).to.be.NaN; // 4 h gap > 3 h limit
      expect(h.valueAt(-1)).to.be.NaN;
    });
    it("appends only later samples", function () {
      const g = new LoadHistory([0], [1]);
      expect(g.append(H, 2)).to.equal(true);
      expect(g.append(H, 3)).to.equal(false);
      expect(g.valueAt(H)).to.equal(2);
      expect(g.length).to.equal(2);
    });
  });

  describe("clock and features", function () {
    const clock = localClock("us-eastern");
    it("parses local dates at local midnight, inclusive at the end", function () {
      expect(parseLocalDate("2012-07-01", clock)).to.equal(Date.parse("2012-07-01T04:00:00Z"));
      expect(parseLocalDate("2012-12-31", clock, true)).to.equal(Date.parse("2013-01-01T05:00:00Z") - 1);
      expect(() => parseLocalDate("2012-07-01T00:00", clock)).to.throw("ISO timestamp with a zone");
    });
    it("takes the same local clock time a day earlier across a DST change", function () {
      // 2012-03-12 10:00 EDT = 14:00Z; the day before 10:00 EST = 15:00Z.
      expect(localHoursBefore(Date.parse("2012-03-12T14:00:00Z"), 24, clock)).to.equal(
        Date.parse("2012-03-11T14:00:00Z"),
      );
      expect(localHoursBefore(Date.parse("2012-03-10T15:00:00Z"), 24, clock)).to.equal(
        Date.parse("2012-03-09T15:00:00Z"),
      );
    });
    it("computes fractional hours, weekday, holiday and interpolated lags at a quarter hour", function () {
      const start = Date.parse("2012-06-25T04:00:00Z"); // Monday 00:00 EDT
      const ts = Array.from({ length: 10 * 24 }, (_, i) => start + i * H);
      const hist = new LoadHistory(
        ts,
        ts.map((_, i) => 1000 + i),
        null,
      );
      const out = new Float64Array(N_FACTORS);
      const t = Date.parse("2012-07-04T14:15:00Z"); // Wednesday July 4th, 10:15 EDT
      expect(factorRow(t, 20, hist, clock, out)).to.equal(null);
      expect(out[0]).to.be.closeTo(Math.sin((2 * Math.PI * 10.25) / 24), 1e-12);
      expect(out[2]).to.be.closeTo(Math.sin((2 * Math.PI * 3) / 7), 1e-12);
      expect(out[FACTORS.indexOf("holiday")]).to.equal(1);
      expect(out[FACTORS.indexOf("temperature")]).to.equal(20);
      // Same local time a day earlier, between two hourly samples: linear interpolation.
      const i24 = (Date.parse("2012-07-03T14:15:00Z") - start) / H;
      expect(out[FACTORS.indexOf("lag24")]).to.be.closeTo(1000 + i24, 1e-9);
      expect(factorRow(Date.parse("2012-06-30T14:15:00Z"), 20, hist, clock, out)).to.equal("NO_HISTORY");
      expect(factorRow(Date.parse("2012-07-10T14:15:00Z"), 20, hist, clock, out)).to.equal("NO_HISTORY");
      expect(factorRow(t, NaN, hist, clock, out)).to.equal("NO_TEMPERATURE");
    });
  });

  describe("statistics", function () {
    it("computes Pearson h on known vectors", function () {
      expect(pearson([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])).to.be.closeTo(1, 1e-12);
      expect(pearson([1, 2, 3, 4, 5], [10, 8, 6, 4, 2])).to.be.closeTo(-1, 1e-12);
      expect(pearson([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])).to.be.closeTo(0.8, 1e-12);
      expect(pearson([1, 2, 3], [7, 7, 7])).to.be.NaN;
    });
    it("recovers rho and the innovation spread of an AR(1) residual series", function () {
      const rng = createRng(9);
      const n = 20_000;
      const ts = Array.from({ length: n }, (_, i) => i * H);
      const e: number[] = [0];
      for (let i = 1; i < n; i++) e.push(0.9 * e[i - 1] + 10 * rng.normal());
      const r = residualStats(ts, e, localClock("utc"));
      expect(r.rho1h).to.be.closeTo(0.9, 0.01);
      expect(r.sdStep).to.be.closeTo(10, 0.3);
      expect(r.sd).to.be.closeTo(10 / Math.sqrt(1 - 0.81), 1.5);
      expect(r.sdStepByHour).to.have.length(24);
      for (const s of r.sdStepByHour) expect(s).to.be.closeTo(10, 1);
    });
    it("takes the median of odd, even and empty lists, in place or on a copy", function () {
      const odd = [5, 1, 3];
      expect(median(odd)).to.equal(3);
      expect(odd).to.deep.equal([5, 1, 3]);
      expect(medianInPlace(odd)).to.equal(3);
      expect(odd).to.deep.equal([1, 3, 5]);
      expect(medianInPlace([4, 1, 3, 2])).to.equal(2.5);
      expect(medianInPlace([])).to.be.NaN;
    });
    it("computes MAPE and RMSE", function () {
      expect(mape([100, 200], [110, 180])).to.be.closeTo(10, 1e-12);
      expect(rmse([0, 0], [3, 4])).to.be.closeTo(Math.sqrt(12.5), 1e-12);
    });
    it("keeps factors with |h| >= h_min and reports every factor", function () {
      const start = Date.parse("2012-04-02T04:00:00Z"); // three April weeks: no holiday, no DST change
      const n = 24 * 21;
      const text = csv(
        Array.from({ length: n }, (_, i) => {
          const hour = i % 24;
          return `${new Date(start + i * H).toISOString()},${1000 + 300 * Math.sin((2 * Math.PI * (hour - 6)) / 24)},${(i * 7919) % 13}`;
        }),
      );
      const s = readLoadCsv("p.csv", { text });
      const hist = LoadHistory.fromSeries(s);
      const d = buildDataset(s, hist, localClock("us-eastern"), s.timestamps[0], s.timestamps[n - 1]);
      expect(d.n).to.equal(n - 168);
      expect(d.noHistory).to.equal(168);
      const f = selectFactors(d, 0.2, "pearson");
      expect(f.map((x) => x.name)).to.deep.equal([...FACTORS]);
      const by = Object.fromEntries(f.map((x) => [x.name, x]));
      expect(by.lag24.kept).to.equal(true);
      expect(by.lag24.h).to.be.closeTo(1, 1e-9);
      expect(by.holiday.h).to.equal(null); // no holiday in the range: constant factor
      expect(by.holiday.kept).to.equal(false);
      expect(Math.abs(by.temperature.h as number)).to.be.lessThan(0.2);
      expect(by.temperature.kept).to.equal(false);
    });
  });

  describe("injectAnomalies", function () {
    const values = Array.from({ length: 24 * 120 }, (_, i) => 3000 + 500 * Math.sin((2 * Math.PI * i) / 24));
    const inj = injectAnomalies(values, H, 42);
    it("is reproducible from its seed", function () {
      expect(injectAnomalies(values, H, 42).values).to.deep.equal(inj.values);
      expect(injectAnomalies(values, H, 43).values).to.not.deep.equal(inj.values);
    });
    it("places the same number of non-overlapping events of each kind", function () {
      const kinds = inj.events.map((e) => e.kind);
      for (const k of ["spike", "stuck", "drift", "dropout", "unit"])
        expect(kinds.filter((x) => x === k)).to.have.length(8);
      for (let i = 1; i < inj.events.length; i++) {
        expect(inj.events[i].start).to.be.greaterThanOrEqual(inj.events[i - 1].start + inj.events[i - 1].length + 48);
      }
    });
    it("shapes each kind as specified and labels exactly the changed readings", function () {
      for (const e of inj.events) {
        const w = Array.from({ length: e.length }, (_, j) => e.start + j);
        if (e.kind === "spike") {
          expect(e.length).to.equal(1);
          const r = inj.values[e.start] / values[e.start] - 1;
          expect(Math.abs(r)).to.be.within(0.2, 0.5);
        }
        if (e.kind === "stuck") {
          expect(e.length).to.equal(6);
          for (const i of w) expect(inj.values[i]).to.equal(values[e.start - 1]);
        }
        if (e.kind === "dropout") for (const i of w) expect(inj.values[i]).to.equal(0);
        if (e.kind === "unit") for (const i of w) expect(inj.values[i]).to.be.closeTo(values[i] * 10, 1e-9);
        if (e.kind === "drift") {
          expect(e.length).to.equal(12);
          const last = e.start + e.length - 1;
          expect(inj.values[last] / values[last] - 1).to.be.closeTo(e.magnitude, 1e-9);
          for (const i of w) {
            const err = Math.abs(inj.values[i] / values[i] - 1);
            expect(inj.labels[i]).to.equal(err >= 0.05 ? 1 : 0);
          }
        }
      }
      let labelled = 0;
      for (let i = 0; i < values.length; i++) {
        if (inj.kinds[i] === null) {
          expect(inj.values[i]).to.equal(values[i]);
          expect(inj.labels[i]).to.equal(0);
        } else if (inj.kinds[i] !== "drift") expect(inj.labels[i]).to.equal(1);
        labelled += inj.labels[i];
      }
      expect(inj.labelled).to.equal(labelled);
      expect(inj.altered).to.be.greaterThan(labelled);
    });
    it("refuses a range too short for its events", function () {
      expect(() => injectAnomalies(values.slice(0, 100), H, 1)).to.throw("lower eventsPer30Days");
    });
  });
});
