import { expect } from "chai";
import { frontier, type FrontierPoint } from "../../bench/lib/frontier";

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
});
