import { expect } from "chai";
import { chooseOperatingPoint, frontier, poissonUpper, type FrontierPoint } from "../../bench/lib/frontier";
import type { ValidatorOptions } from "../../src/validation/validator";

const TARGETS = { eventRecall: 0.95, driftBefore10: 0.9, precision: 0.9, cleanFalseAlarmsPerDay: 0.1 };

const p = (name: string, fa: number, precision: number, drift: number, before10: number): FrontierPoint => ({
  setting: name,
  precision,
  driftRecall: drift,
  driftBefore10: before10,
  cleanFalseAlarmsPerDay: fa,
});

describe("validation benchmark: frontier", function () {
  const points = [
    p("quiet", 0.05, 0.97, 0.7, 0.1),
    p("budget", 0.09, 0.88, 0.85, 0.3),
    p("eager", 0.4, 0.75, 0.96, 0.78),
    p("eagerer", 0.8, 0.6, 0.98, 0.92),
  ];

  it("gives the best drift figures within the false-alarm budget, with and without the precision target", function () {
    const f = frontier(points, TARGETS);
    expect(f.withinFalseAlarmBudget.settings).to.equal(2);
    expect(f.withinFalseAlarmBudget.bestDriftRecall?.setting).to.equal("budget");
    expect(f.withinFalseAlarmBudget.bestDriftBefore10?.setting).to.equal("budget");
    expect(f.withinFalseAlarmBudget.bestDriftRecallWithPrecision?.setting).to.equal("quiet");
  });

  it("names the cheapest setting reaching each drift target, and null when none does", function () {
    const f = frontier(points, TARGETS);
    expect(f.cheapestDriftRecallTarget?.setting).to.equal("eager");
    expect(f.cheapestDriftBefore10Target?.setting).to.equal("eagerer");
    expect(frontier(points.slice(0, 3), TARGETS).cheapestDriftBefore10Target).to.equal(null);
    expect(f.bestDriftBefore10Overall?.setting).to.equal("eagerer");
  });

  describe("the rule that picks the defaults", function () {
    const op = (setting: ValidatorOptions, fa: number, precision: number, drift: number) => ({
      setting,
      precision,
      driftRecall: drift,
      driftBefore10: 0.5,
      cleanFalseAlarmsPerDay: fa,
    });

    it("bounds a Poisson count from above", function () {
      // Textbook one-sided 95% upper limits: 0 -> 3.00, 1 -> 4.74, 10 -> 16.96, 11 -> 18.21.
      expect(poissonUpper(0)).to.be.closeTo(2.996, 0.001);
      expect(poissonUpper(1)).to.be.closeTo(4.744, 0.001);
      expect(poissonUpper(10)).to.be.closeTo(16.96, 0.01);
      expect(poissonUpper(11)).to.be.closeTo(18.21, 0.01);
      expect(() => poissonUpper(-1)).to.throw("poissonUpper: n must be a count");
    });

    it("takes only settings whose false alarms meet the budget with 95% confidence, whatever their drift recall", function () {
      // 181 days, budget 0.1 a day: 18 clean flags (0.099) is on the budget, not within it with confidence; 10 is.
      const pts = [
        op({ cusumH: 5, cusumK: 0.75 }, 18 / 181, 0.92, 0.93),
        op({ cusumH: 6, cusumK: 0.5 }, 0.105, 0.91, 1),
        op({ cusumH: 7, cusumK: 0.75 }, 11 / 181, 0.96, 0.9),
        op({ cusumH: 6, cusumK: 1 }, 10 / 181, 0.97, 0.88),
      ];
      expect(chooseOperatingPoint(pts, 0.1, 181).setting).to.deep.equal({ cusumH: 6, cusumK: 1 });
      // None within budget: all compete.
      expect(chooseOperatingPoint(pts, 0.01, 181).setting).to.deep.equal({ cusumH: 6, cusumK: 0.5 });
    });

    it("breaks ties by fewer false alarms, then towards the least sensitive setting, not the first swept", function () {
      const tied = [
        op({ k: 5.5, levelK: 5, cusumH: 6 }, 0.033, 0.97, 0.96),
        op({ k: 6, levelK: 5, cusumH: 6 }, 0.033, 0.97, 0.96),
        op({ k: 6, levelK: 4.5, cusumH: 6 }, 0.033, 0.97, 0.96),
      ];
      expect(chooseOperatingPoint(tied, 0.1, 181).setting).to.deep.equal({ k: 6, levelK: 5, cusumH: 6 });
      const quieter = [...tied, op({ k: 5.5, levelK: 4.5, cusumH: 6 }, 0.028, 0.97, 0.96)];
      expect(chooseOperatingPoint(quieter, 0.1, 181).setting).to.deep.equal({ k: 5.5, levelK: 4.5, cusumH: 6 });
    });
  });
});
