import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { CsvError, readCsv } from "../../src/common/csv";
import { dayType, buildProfiles, detectKind } from "../../src/governance/profiles";
import { loadProfiles } from "../../src/governance/run";

const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z");

/** Hourly load rows (GEFCom shape) from `startUtc`, one per hour, value = f(i). */
function hourlyCsv(startUtc: string, hours: number, value: (i: number) => number, skip: number[] = []): string {
  const t0 = Date.parse(startUtc);
  const rows = ["timestamp,load_mw,temperature_c"];
  for (let i = 0; i < hours; i++) if (!skip.includes(i)) rows.push(`${iso(t0 + i * HOUR)},${value(i)},1.5`);
  return rows.join("\n") + "\n";
}

/** 15-minute price rows (Elia shape) from `startUtc`. */
function quarterCsv(startUtc: string, quarters: number, value: (i: number) => number): string {
  const t0 = Date.parse(startUtc);
  const rows = ["timestamp,price_eur_mwh,local_time"];
  for (let i = 0; i < quarters; i++) rows.push(`${iso(t0 + (i * HOUR) / 4)},${value(i).toFixed(2)},x`);
  return rows.join("\n") + "\n";
}

describe("governance: daily profiles", function () {
  describe("detectKind", function () {
    it("recognises the price and load series by their value column", function () {
      expect(
        detectKind(
          readCsv(
            "p.csv",
            quarterCsv("2025-01-06T00:00:00Z", 1, () => 1),
          ),
        ).valueColumn,
      ).to.equal("price_eur_mwh");
      expect(
        detectKind(
          readCsv(
            "l.csv",
            hourlyCsv("2012-01-03T05:00:00Z", 1, () => 1),
          ),
        ).calendar,
      ).to.equal("US");
    });
    it("names the header when no known value column is present", function () {
      expect(() => detectKind(readCsv("x.csv", "timestamp,mw\n2012-01-01T00:00:00Z,1\n"))).to.throw(
        CsvError,
        'x.csv:1: has no known value column: expected timestamp plus "price_eur_mwh"',
      );
      expect(() => detectKind(readCsv("y.csv", "load_mw,price_eur_mwh\n1,2\n"))).to.throw(CsvError, "more than one");
      expect(() => detectKind(readCsv("z.csv", "time,load_mw\n1,2\n"))).to.throw(
        CsvError,
        'z.csv:1 column "timestamp"',
      );
    });
  });

  describe("hourly data (US Eastern local days)", function () {
    it("holds each hour's value over its four quarter-hours", function () {
      // 2012-01-03 (a Tuesday) starts at 05:00Z in EST.
      const set = buildProfiles(
        readCsv(
          "l.csv",
          hourlyCsv("2012-01-03T05:00:00Z", 24, (i) => 100 + i),
        ),
      );
      expect(set.profiles).to.have.length(1);
      const day = set.profiles[0];
      expect(day.date).to.equal("2012-01-03");
      expect(day.dayType).to.equal("weekday");
      expect(day.values).to.have.length(96);
      expect(day.values.slice(0, 8)).to.deep.equal([100, 100, 100, 100, 101, 101, 101, 101]);
      expect(day.values[95]).to.equal(123);
      expect(set.incomplete).to.deep.equal([]);
    });

    it("reports and excludes a day with a missing hour, and counts partial edge days", function () {
      // 49 hours from local midnight 2012-01-03: the 49th hour starts 2012-01-05; hour 30 (06:00 local on the 4th) is missing.
      const set = buildProfiles(
        readCsv(
          "l.csv",
          hourlyCsv("2012-01-03T05:00:00Z", 49, () => 5, [30]),
        ),
      );
      expect(set.profiles.map((p) => p.date)).to.deep.equal(["2012-01-03"]);
      expect(set.incomplete).to.deep.equal([
        { date: "2012-01-04", present: 23, expected: 24, missing: "06:00-06:59" },
        { date: "2012-01-05", present: 1, expected: 24, missing: "01:00-23:59" },
      ]);
    });

    it("excludes the spring DST day, whose 02:00 hour does not exist on the clock", function () {
      // 2012-03-11 local midnight = 05:00Z (EST); the day has 23 hours and ends at 04:00Z on the 12th (EDT).
      const set = buildProfiles(
        readCsv(
          "l.csv",
          hourlyCsv("2012-03-11T05:00:00Z", 23, () => 1),
        ),
      );
      expect(set.profiles).to.deep.equal([]);
      expect(set.incomplete).to.deep.equal([{ date: "2012-03-11", present: 23, expected: 24, missing: "02:00-02:59" }]);
    });

    it("labels holidays before weekends and weekdays", function () {
      expect(dayType("2012-07-04", "US")).to.equal("holiday");
      expect(dayType("2012-07-07", "US")).to.equal("weekend");
      expect(dayType("2012-07-05", "US")).to.equal("weekday");
      expect(dayType("2025-11-01", "BE")).to.equal("holiday"); // a Saturday
    });
  });

  describe("15-minute data (Brussels local days)", function () {
    it("builds a local day from 23:00Z in winter, or two partial UTC days with --days utc", function () {
      // Monday 2025-01-06 in Brussels (UTC+1) runs from 2025-01-05T23:00Z.
      const text = quarterCsv("2025-01-05T23:00:00Z", 96, (i) => i);
      const local = buildProfiles(readCsv("p.csv", text));
      expect(local.profiles.map((p) => [p.date, p.dayType])).to.deep.equal([["2025-01-06", "weekday"]]);
      expect(local.profiles[0].values[0]).to.equal(0);
      expect(local.profiles[0].values[95]).to.equal(95);
      const utc = buildProfiles(readCsv("p.csv", text), "utc");
      expect(utc.profiles).to.deep.equal([]);
      expect(utc.incomplete.map((d) => [d.date, d.present])).to.deep.equal([
        ["2025-01-05", 4],
        ["2025-01-06", 92],
      ]);
    });

    it("averages the repeated quarter-hours of the autumn DST day and reports it", function () {
      // 2024-10-27 in Brussels: 22:00Z on the 26th to 23:00Z on the 27th, 100 quarter-hours; 02:00-02:59 happens twice.
      const set = buildProfiles(
        readCsv(
          "p.csv",
          quarterCsv("2024-10-26T22:00:00Z", 100, (i) => i),
        ),
      );
      expect(set.profiles).to.have.length(1);
      expect(set.averaged).to.deep.equal([{ date: "2024-10-27", slots: 4 }]);
      const v = set.profiles[0].values;
      // Quarter-hours 8..11 (CEST 02:00-02:45) and 12..15 (CET 02:00-02:45) share clock slots 8..11.
      expect(v.slice(8, 12)).to.deep.equal([10, 11, 12, 13]);
      expect(v[12]).to.equal(16);
      expect(v[95]).to.equal(99);
    });
  });

  describe("input errors", function () {
    it("rejects a repeated timestamp, naming both lines", function () {
      const text = "timestamp,price_eur_mwh\n2025-01-06T00:00:00Z,1\n2025-01-06T00:00:00Z,2\n";
      expect(() => buildProfiles(readCsv("d.csv", text))).to.throw(
        CsvError,
        'd.csv:3 column "timestamp": repeats line 2',
      );
    });
    it("rejects a timestamp off the series' grid", function () {
      const text = "timestamp,load_mw\n2012-01-03T05:30:00Z,1\n";
      expect(() => buildProfiles(readCsv("g.csv", text))).to.throw(
        CsvError,
        'g.csv:2 column "timestamp": not on the 60-minute grid',
      );
    });
    it("names the line and column of a bad value", function () {
      const text = "timestamp,price_eur_mwh\n2025-01-06T00:00:00Z,1\n2025-01-06T00:15:00Z,n/a\n";
      expect(() => buildProfiles(readCsv("v.csv", text))).to.throw(
        CsvError,
        'v.csv:3 column "price_eur_mwh": not a number',
      );
    });
    it("reports a missing file and a file without one complete day", function () {
      expect(() => loadProfiles("/nonexistent/x.csv", "local")).to.throw("--data /nonexistent/x.csv: no such file");
      const dir = mkdtempSync(join(tmpdir(), "gov-"));
      const file = join(dir, "short.csv");
      writeFileSync(
        file,
        hourlyCsv("2012-01-03T05:00:00Z", 5, () => 1),
      );
      expect(() => loadProfiles(file, "local")).to.throw("no complete day (1 incomplete days, 5 rows)");
    });
  });
});
