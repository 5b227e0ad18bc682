import { expect } from "chai";
import { periodLoadFactor, routingElection } from "../../src/gateway/server";
import type { CheckedRecord } from "../../src/pipeline/stages/check";
import { scenarioModel } from "../helpers/gridCases";

/** Just what the load factor reads of a checked record: acceptance, kind (1: reading) and the value. */
const reading = (actualNorm: number | null, accepted = true, kind = 1) =>
  ({ accepted, row: { kind, actualNorm } }) as unknown as CheckedRecord;

describe("gateway election (dev keys)", function () {
  describe("periodLoadFactor", function () {
    it("is the mean of the accepted readings over the series' peak, and the peak when there are none", function () {
      const records = [reading(300), reading(500), reading(5000, false), reading(null), reading(9000, true, 2)];
      expect(periodLoadFactor(records, 1000)).to.equal(0.4);
      expect(periodLoadFactor([], 1000)).to.equal(1);
      expect(periodLoadFactor([reading(5000, false)], 1000)).to.equal(1);
    });
  });

  describe("routingElection", function () {
    // IEEE 14 with one generator: QT-DR elects bus 5 at 30% of the peak load and bus 2 at the peak.
    const model = scenarioModel("ieee14");
    const elect = routingElection(model, (records) => periodLoadFactor(records, 1000));

    it("routes each period at its measured load, as grid:run does, not at the peak", function () {
      expect(elect(0, 5, [reading(300)]).generatorBus).to.equal(5);
      expect(elect(1, 5, [reading(1000)]).generatorBus).to.equal(2);
      expect(elect(2, 5, []).generatorBus).to.equal(2);
    });
  });
});
