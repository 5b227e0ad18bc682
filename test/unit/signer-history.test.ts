import { expect } from "chai";
import { keyHeldAt, keysHeldDuring } from "../../src/terminals/signerHistory";

describe("signer history", function () {
  const history = [
    { signer: "0xa", validFrom: 1000, validUntil: 2000 },
    { signer: "0xb", validFrom: 2000, validUntil: 3000n },
    { signer: "0xc", validFrom: 3000n, validUntil: 0 },
  ];

  describe("keyHeldAt", function () {
    it("gives the key of the epoch holding the time, a rotation's second to the new key", function () {
      expect(keyHeldAt(history, 1500)).to.equal("0xa");
      expect(keyHeldAt(history, 1999)).to.equal("0xa");
      expect(keyHeldAt(history, 2000)).to.equal("0xb");
      expect(keyHeldAt(history, 10_000)).to.equal("0xc");
    });

    it("lets the first key cover the time before the registration (a backfill)", function () {
      expect(keyHeldAt(history, 0)).to.equal("0xa");
      expect(keyHeldAt(history, 999)).to.equal("0xa");
    });

    it("names no key for an empty history", function () {
      expect(keyHeldAt([], 1500)).to.equal(undefined);
    });
  });

  describe("keysHeldDuring", function () {
    it("lists every key held at some point of the interval", function () {
      expect(keysHeldDuring(history, 1900, 2100)).to.deep.equal(["0xa", "0xb"]);
      expect(keysHeldDuring(history, 2000, 3000)).to.deep.equal(["0xb"]);
      expect(keysHeldDuring(history, 2500, 9000)).to.deep.equal(["0xb", "0xc"]);
      expect(keysHeldDuring(history, 0, 500)).to.deep.equal(["0xa"]);
    });
  });
});
