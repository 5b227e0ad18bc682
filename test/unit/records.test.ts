import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { keccak256, toUtf8Bytes } from "ethers";
import { readRecordsFile, RecordFileError } from "../../src/records/file";
import { payloadIssues } from "../../src/records/payloads";
import { flagDifferences, rerunRefusal, type PreviousRun } from "../../src/records/rerun";
import type { GridRecord } from "../../src/merkle";
import { scratchDir } from "../helpers/scenario";

const TERMINAL = keccak256(toUtf8Bytes("unit.bus1.pmu"));
const OTHER = keccak256(toUtf8Bytes("unit.bus2.pmu"));

describe("records", function () {
  const dir = scratchDir("records-unit");
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  describe("payloads", function () {
    context("when the data type is 1 (readings)", function () {
      it("accepts numbers, exact decimal strings and the describing text fields", function () {
        expect(payloadIssues(1, { power_kw: 1.5, energy_wh: "12345678901234567890", unit: "kW" })).to.deep.equal([]);
      });
      it("refuses text, empty and non-finite values in a measured field", function () {
        expect(payloadIssues(1, { power_kw: "abc" })[0]).to.deep.equal({
          field: "power_kw",
          message: 'not a number: "abc"',
        });
        expect(payloadIssues(1, { power_kw: "" })[0].message).to.equal("empty: a number is required");
        expect(payloadIssues(1, { power_kw: NaN })[0].message).to.equal("NaN is not a number");
        expect(payloadIssues(1, { power_kw: 2 ** 60 })[0].message).to.match(/beyond 2\^53 and not exact/);
      });
      it("refuses a reading without a measured value", function () {
        expect(payloadIssues(1, { unit: "kW" })[0].message).to.equal("a reading needs at least one measured value");
      });
    });
    context("when the data type is 2 (power transactions)", function () {
      it("refuses unknown and missing fields", function () {
        expect(payloadIssues(2, { seller: "a", buyer: "b", kwh: 1, colour: "red" })[0]).to.deep.include({
          field: "colour",
        });
        expect(payloadIssues(2, { seller: "a", kwh: 1 })[0]).to.deep.equal({ field: "buyer", message: "missing" });
      });
    });
    context("when the data type has no schema", function () {
      it("accepts any payload", function () {
        expect(payloadIssues(7, { anything: "goes" })).to.deep.equal([]);
      });
    });
  });

  describe("readRecordsFile", function () {
    it("keeps a CSV integer beyond 2^53 as its exact decimal text", function () {
      const file = write("big.csv", "timestamp,energy_wh,power_kw\n1767225600,12345678901234567890,1.50\n");
      const [{ record }] = readRecordsFile(file, { terminalId: TERMINAL, kind: 1, dataType: 1 });
      expect(record.payload).to.deep.equal({ energy_wh: "12345678901234567890", power_kw: 1.5 });
    });
    it("refuses a JSON integer beyond 2^53 instead of rounding it", function () {
      const file = write("big.json", '[\n{"timestamp": 1767225600, "energy_wh": 12345678901234567890}\n]');
      expect(() => readRecordsFile(file, { terminalId: TERMINAL, kind: 1 })).to.throw(/big\.json:2 .*beyond 2\^53/);
    });
    it("refuses a full record with a field outside the leaf instead of moving it into the payload", function () {
      const file = write("extra.json", '[{"timestamp": 1767225600, "payload": {"power_kw": 1}, "note": "x"}]');
      expect(() => readRecordsFile(file, { terminalId: TERMINAL, kind: 1 })).to.throw(
        RecordFileError,
        'extra.json:1 field "note": unknown field',
      );
    });
    it("names the column of a bad value in a flat row and the payload path in a full record", function () {
      const csv = write("abc.csv", "timestamp,power_kw\n1767225600,abc\n");
      expect(() => readRecordsFile(csv, { terminalId: TERMINAL, kind: 1, dataType: 1 })).to.throw(
        'abc.csv:2 field "power_kw": not a number: "abc" (data type 1)',
      );
      const json = write("abc.json", '[{"timestamp": 1767225600, "payload": {"power_kw": "abc"}}]');
      expect(() => readRecordsFile(json, { terminalId: TERMINAL, kind: 1, dataType: 1 })).to.throw(
        'abc.json:1 field "payload.power_kw": not a number: "abc" (data type 1)',
      );
    });
    it("refuses a duplicate row naming both lines", function () {
      const file = write("dup.csv", "timestamp,power_kw\n1767225600,1\n1767225660,2\n1767225600,1\n");
      expect(() => readRecordsFile(file, { terminalId: TERMINAL, kind: 1 })).to.throw(
        "dup.csv:4: duplicate row: the same record as line 2",
      );
    });
    it("reads a terminal label in a terminal column as its id", function () {
      const file = write("label.csv", "timestamp,terminal,power_kw\n1767225600,unit.bus2.pmu,1\n");
      expect(readRecordsFile(file, { terminalId: TERMINAL, kind: 1 })[0].record.terminalId).to.equal(OTHER);
    });
  });

  describe("rerun", function () {
    const records = (terminalId: string, kind: 0 | 1 | 2 | 3): GridRecord[] => [
      { terminalId, kind, timestamp: 1767225600, payload: { power_kw: 1 } },
    ];
    const previous: PreviousRun = {
      out: "a.csv.proofs.json",
      root: "0x01",
      batchId: 4,
      records: records(TERMINAL, 1),
      anchored: { terminalId: TERMINAL, dataType: 1, sequence: 3n },
    };
    const run = { file: "a.csv", root: "0x01", records: records(TERMINAL, 1), terminalId: TERMINAL, dataType: 1 };

    it("lets the same run through (reported as already anchored)", function () {
      expect(rerunRefusal(previous, run)).to.equal(undefined);
    });
    it("lists every flag that differs", function () {
      expect(
        flagDifferences(previous, { ...run, records: records(OTHER, 3), terminalId: OTHER, dataType: 2, sequence: 9n }),
      ).to.deep.equal([
        `--terminal (was ${TERMINAL}, now ${OTHER})`,
        "--kind (was reading, now event)",
        "--type (was 1, now 2)",
        "--sequence (was 3, now 9)",
      ]);
      expect(rerunRefusal(previous, { ...run, root: "0x02", records: records(TERMINAL, 3) })).to.match(
        /^a\.csv was already anchored as batch 4 \(proofs: a\.csv\.proofs\.json\) with other flags: --kind/,
      );
    });
    it("refuses to overwrite the proofs of a batch of other records", function () {
      const changed = [{ ...records(TERMINAL, 1)[0], payload: { power_kw: 2 } }];
      expect(rerunRefusal(previous, { ...run, root: "0x02", records: changed })).to.match(
        /holds the proofs of batch 4, anchored from other records/,
      );
    });
  });
});
