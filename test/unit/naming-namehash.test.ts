import { expect } from "chai";
import { namehash as ensNamehash } from "ethers";
import { checkLabel, NameError, namehash, parentName, splitName } from "../../src/naming/namehash";
import { INVALID_NAME_VECTORS, VALID_NAME_VECTORS } from "../helpers/nameVectors";

describe("naming: namehash", function () {
  it("matches every golden vector byte for byte", function () {
    for (const v of VALID_NAME_VECTORS) expect(namehash(v.name), v.name).to.equal(v.node);
  });

  it("equals the ENS namehash of the reversed name wherever ENS accepts it", function () {
    for (const v of VALID_NAME_VECTORS.filter((x) => x.name !== "" && !x.name.includes("xn--"))) {
      expect(namehash(v.name), v.name).to.equal(ensNamehash(v.name.split(".").reverse().join(".")));
    }
  });

  it("refuses every malformed vector with the contract's error name", function () {
    for (const v of INVALID_NAME_VECTORS) {
      let error: unknown;
      try {
        namehash(v.name);
      } catch (e) {
        error = e;
      }
      expect(error, v.name).to.be.instanceOf(NameError);
      expect((error as NameError).code, v.name).to.equal(v.error);
    }
  });

  it("explains each refusal in words", function () {
    expect(() => checkLabel("Bus13")).to.throw('label "Bus13" has an upper-case letter at byte 0: use lower case');
    expect(() => checkLabel("bus_13")).to.throw("has byte 0x5f at byte 3: only a-z, 0-9 and - are allowed");
    expect(() => checkLabel("-x")).to.throw("starts or ends with a hyphen");
    expect(() => splitName("a..b")).to.throw("empty label");
  });

  it("splits names most general first and finds the parent", function () {
    expect(splitName("gz.ieee39.bus13.pmu")).to.deep.equal(["gz", "ieee39", "bus13", "pmu"]);
    expect(splitName("")).to.deep.equal([]);
    expect(parentName("gz.ieee39.bus13")).to.equal("gz.ieee39");
    expect(parentName("gz")).to.equal("");
  });
});
