import { expect } from "chai";
import { encodeBytes32String, id } from "ethers";
import { authorisationTarget, gridLabel, toGridId } from "../../src/sharing/providers";

describe("sharing providers", function () {
  describe("toGridId", function () {
    it("encodes a grid name as the registry stores it, and keeps a 32-byte id", function () {
      expect(toGridId(" ieee39 ")).to.equal(encodeBytes32String("ieee39"));
      const hex = `0x${"AB".repeat(32)}`;
      expect(toGridId(hex)).to.equal(hex.toLowerCase());
    });

    it("refuses an empty name, short hex and a name over 31 bytes", function () {
      expect(() => toGridId("  ")).to.throw("empty grid id");
      expect(() => toGridId("0x1234")).to.throw("grid id 0x1234 is 0x-prefixed but not 32 bytes of hex");
      expect(() => toGridId("é".repeat(16))).to.throw("is longer than 31 bytes");
    });
  });

  describe("gridLabel", function () {
    it("shows a text grid id as its name and anything else as hex", function () {
      expect(gridLabel(encodeBytes32String("ieee39"))).to.equal("ieee39");
      const hashed = id("not text");
      expect(gridLabel(hashed)).to.equal(hashed);
    });
  });

  describe("authorisationTarget", function () {
    it("reads a terminal label or a grid name", function () {
      expect(authorisationTarget({ terminal: "ieee39.bus1.pmu" })).to.deep.equal({
        scope: "Terminal",
        id: id("ieee39.bus1.pmu"),
      });
      expect(authorisationTarget({ grid: "ieee39" })).to.deep.equal({
        scope: "Grid",
        id: encodeBytes32String("ieee39"),
      });
    });

    it("wants exactly one of the two", function () {
      const message = "give exactly one of --terminal (label or 0x id) and --grid (name or 0x id)";
      expect(() => authorisationTarget({})).to.throw(message);
      expect(() => authorisationTarget({ terminal: "a", grid: "b" })).to.throw(message);
    });
  });
});
