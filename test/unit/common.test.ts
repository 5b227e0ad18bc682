import { expect } from "chai";
import {
  belgianHolidays,
  brusselsOffsetMinutes,
  isHoliday,
  usEasternOffsetMinutes,
  usFederalHolidays,
} from "../../src/common/calendar";
import { CsvError, numberCell, readCsv, requireColumns, timestampCell } from "../../src/common/csv";
import { exactNumber, JsonTextError, parseJsonExact } from "../../src/common/exactJson";
import { createRng } from "../../src/common/rng";
import { decodeTextFile, TextFileError } from "../../src/common/text";
import { recordSlices } from "../../src/common/slices";
import { yieldToIo } from "../../src/common/turns";
import { readFile } from "node:fs";

describe("common", function () {
  describe("recordSlices", function () {
    it("cuts items into runs that end once they reach the record count, never splitting an item", function () {
      const items = [3, 1, 2, 5, 1, 1].map((recordCount, id) => ({ id, recordCount }));
      expect([...recordSlices(items, 4)].map((run) => run.map((x) => x.id))).to.deep.equal([
        [0, 1],
        [2, 3],
        [4, 5],
      ]);
      expect([...recordSlices([], 4)]).to.deep.equal([]);
    });
  });

  describe("yieldToIo", function () {
    it("resumes work that was running in an I/O callback only after the loop has turned again", async function () {
      // Work resumed from an I/O callback (the poll phase): a timer due meanwhile runs before it resumes, as the
      // sockets polled in that next turn are read. One setImmediate resumed it in the same turn, before them.
      const order = await new Promise<string[]>((resolve, reject) =>
        readFile(__filename, (error) => {
          if (error) return reject(error);
          const seen: string[] = [];
          setTimeout(() => seen.push("timer"), 0);
          const due = Date.now() + 3;
          while (Date.now() < due); // the timer is due before the loop moves on
          void yieldToIo().then(() => resolve([...seen, "resumed"]));
        }),
      );
      expect(order).to.deep.equal(["timer", "resumed"]);
    });
  });

  describe("calendar", function () {
    it("observes a Sunday New Year on Monday and lists the 2012 US federal holidays", function () {
      expect(usFederalHolidays(2012)).to.deep.equal([
        "2012-01-02",
        "2012-01-16",
        "2012-02-20",
        "2012-05-28",
        "2012-07-04",
        "2012-09-03",
        "2012-10-08",
        "2012-11-12",
        "2012-11-22",
        "2012-12-25",
      ]);
    });
    it("places Easter-based Belgian holidays (2025: Easter Monday 21 April)", function () {
      expect(belgianHolidays(2025)).to.include.members(["2025-04-21", "2025-05-29", "2025-06-09"]);
      expect(isHoliday("2025-07-21", "BE")).to.equal(true);
      expect(isHoliday("2025-07-22", "BE")).to.equal(false);
    });
    it("switches US Eastern and Brussels offsets at the DST instants", function () {
      expect(usEasternOffsetMinutes(Date.parse("2012-03-11T06:59:00Z"))).to.equal(-300);
      expect(usEasternOffsetMinutes(Date.parse("2012-03-11T07:00:00Z"))).to.equal(-240);
      expect(usEasternOffsetMinutes(Date.parse("2012-11-04T06:00:00Z"))).to.equal(-300);
      expect(brusselsOffsetMinutes(Date.parse("2025-03-30T01:00:00Z"))).to.equal(120);
      expect(brusselsOffsetMinutes(Date.parse("2024-10-27T01:00:00Z"))).to.equal(60);
    });
  });

  describe("csv", function () {
    const text = "timestamp,load_mw\n2012-01-01T05:00:00Z,2698\n\n2012-01-01T06:00:00Z,abc\n";
    it("keeps 1-based line numbers across blank lines", function () {
      const t = readCsv("x.csv", text);
      expect(t.rows.map((r) => r.line)).to.deep.equal([2, 4]);
      expect(timestampCell(t, t.rows[0], "timestamp")).to.equal(Date.parse("2012-01-01T05:00:00Z"));
    });
    it("names file, line and column of a bad number", function () {
      const t = readCsv("x.csv", text);
      expect(() => numberCell(t, t.rows[1], "load_mw")).to.throw(
        CsvError,
        'x.csv:4 column "load_mw": not a number: "abc"',
      );
    });
    it("rejects a row with the wrong cell count and a missing column", function () {
      expect(() => readCsv("y.csv", "a,b\n1\n")).to.throw(CsvError, "y.csv:2: expected 2 cells, found 1");
      expect(() => requireColumns(readCsv("z.csv", "a\n1\n"), ["a", "b"])).to.throw(CsvError, 'z.csv:1 column "b"');
    });
    it("rejects a timestamp without a zone", function () {
      const t = readCsv("w.csv", "timestamp\n2012-01-01 05:00\n");
      expect(() => timestampCell(t, t.rows[0], "timestamp")).to.throw(CsvError, "w.csv:2");
    });
    it("refuses a duplicate or unnamed column instead of dropping one", function () {
      expect(() => readCsv("d.csv", "a,b,a\n1,2,3\n")).to.throw(CsvError, 'd.csv:1 column "a": duplicate column');
      expect(() => readCsv("u.csv", "a,,b\n1,2,3\n")).to.throw(CsvError, "u.csv:1: column 2 has no name");
    });
    it("names the delimiter of a semicolon- or tab-separated file", function () {
      expect(() => readCsv("s.csv", "a;b\n1;2\n")).to.throw(CsvError, 'separated by ";", not by commas');
      expect(() => readCsv("t.csv", "a\tb\n1\t2\n")).to.throw(CsvError, "separated by tab");
    });
    it("ignores a UTF-8 byte order mark before the header", function () {
      expect(readCsv("b.csv", "\ufefftimestamp,a\n1,2\n").header).to.deep.equal(["timestamp", "a"]);
    });
  });

  describe("text", function () {
    const bytes = (s: string) => new TextEncoder().encode(s);
    it("drops a UTF-8 byte order mark", function () {
      expect(decodeTextFile("f", bytes("\ufeffa,b"))).to.equal("a,b");
    });
    it("refuses empty, UTF-16 and invalid UTF-8 files with the line", function () {
      expect(() => decodeTextFile("e", bytes(" \n"))).to.throw(TextFileError, "e:1: the file is empty");
      expect(() => decodeTextFile("w", new Uint8Array([0xff, 0xfe, 0x61, 0]))).to.throw(TextFileError, "UTF-16");
      expect(() => decodeTextFile("i", new Uint8Array([0x61, 0x0a, 0x62, 0xc3, 0x28]))).to.throw(
        TextFileError,
        "i:2: invalid UTF-8",
      );
    });
  });

  describe("exactJson", function () {
    it("holds numbers a double writes back the same and refuses the others", function () {
      for (const ok of ["0", "-0", "0.1", "120.50", "1e21", "9007199254740991"])
        expect(exactNumber(ok), ok).to.be.a("number");
      for (const bad of ["12345678901234567890", "9007199254740993", "0.10000000000000000001", "1e400"])
        expect(exactNumber(bad), bad).to.equal(undefined);
    });
    it("parses JSON like JSON.parse and gives each top-level element's line", function () {
      const text = '[\n {"a": [1, 2.5, "x"]},\n\n {"b": null, "c": true}\n]';
      const parsed = parseJsonExact(text, "f.json");
      expect(parsed.value).to.deep.equal(JSON.parse(text));
      expect(parsed.elementLines).to.deep.equal([2, 4]);
    });
    it("refuses what JSON.parse would change, naming line and field", function () {
      expect(() => parseJsonExact('[\n{"a": 12345678901234567890}]', "f")).to.throw(
        JsonTextError,
        'f:2 field "[0].a": integer 12345678901234567890 is beyond 2^53 and would be rounded to 12345678901234567000',
      );
      expect(() => parseJsonExact('{"a": 1,\n "a": 2}', "f")).to.throw(JsonTextError, 'f:2 field "a": duplicate key');
    });
    it("names the line of a syntax error and a truncated file", function () {
      expect(() => parseJsonExact("[1,\n NaN]", "f")).to.throw(
        JsonTextError,
        'f:2 field "[1]": NaN is not a JSON number',
      );
      expect(() => parseJsonExact('[\n{"a": 1', "f")).to.throw(JsonTextError, "the file ends early (truncated JSON?)");
      expect(() => parseJsonExact("{} x", "f")).to.throw(JsonTextError, "unexpected text after the JSON value");
    });
  });

  describe("rng", function () {
    it("is reproducible from a seed and forks independent streams", function () {
      const a = createRng(42);
      const b = createRng(42);
      const xs = Array.from({ length: 5 }, () => a.next());
      expect(xs).to.deep.equal(Array.from({ length: 5 }, () => b.next()));
      expect(createRng(43).next()).to.not.equal(xs[0]);
      const f1 = createRng(7).fork("x").next();
      const f2 = createRng(7).fork("y").next();
      expect(f1).to.not.equal(f2);
    });
    it("draws normals with mean ~0 and sd ~1", function () {
      const r = createRng(1);
      const n = 20000;
      let s = 0,
        s2 = 0;
      for (let i = 0; i < n; i++) {
        const x = r.normal();
        s += x;
        s2 += x * x;
      }
      expect(Math.abs(s / n)).to.be.lessThan(0.03);
      expect(Math.abs(Math.sqrt(s2 / n) - 1)).to.be.lessThan(0.03);
    });
  });
});
