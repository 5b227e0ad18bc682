import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { createRng } from "../../src/common/rng";
import { fitGaussianNb, jointLogLikelihood, posteriors, predict } from "../../src/governance/bayes";
import { evaluate } from "../../src/governance/metrics";
import { parseClassifyOptions, parseClusterOptions } from "../../src/governance/options";
import { runClassify, runCluster } from "../../src/governance/run";
import { stratifiedSplit } from "../../src/governance/split";

describe("governance: naive Bayes and evaluation", function () {
  describe("fitGaussianNb / posteriors (P000 eq. 8-9)", function () {
    // Class a: the 4 corners of [0,2]^2 (mean 1, variance 1 per feature); class b: the corners of
    // [4,6]^2 twice (mean 5, variance 1). Priors 1/3 and 2/3.
    const a = [
      [0, 0],
      [2, 0],
      [0, 2],
      [2, 2],
    ];
    const b = [
      [4, 4],
      [6, 4],
      [4, 6],
      [6, 6],
    ];
    const x = [...a, ...b, ...b];
    const y = [...a.map(() => "a"), ...b.map(() => "b"), ...b.map(() => "b")];

    it("estimates priors, means and variances", function () {
      const m = fitGaussianNb(x, y, 0);
      expect(m.classes).to.deep.equal(["a", "b"]);
      expect(m.logPriors[0]).to.be.closeTo(Math.log(1 / 3), 1e-12);
      expect(m.logPriors[1]).to.be.closeTo(Math.log(2 / 3), 1e-12);
      expect(m.means).to.deep.equal([
        [1, 1],
        [5, 5],
      ]);
      expect(m.variances).to.deep.equal([
        [1, 1],
        [1, 1],
      ]);
    });

    it("matches hand-computed posteriors", function () {
      const m = fitGaussianNb(x, y, 0);
      // At (2,3): log p(x|a) = -log(2 pi) - (1 + 4)/2, log p(x|b) = -log(2 pi) - (9 + 4)/2, so
      // P(a|x) = (1/3) e^-2.5 / ((1/3) e^-2.5 + (2/3) e^-6.5) = 1 / (1 + 2 e^-4).
      const [pa, pb] = posteriors(m, [2, 3]);
      expect(pa).to.be.closeTo(1 / (1 + 2 * Math.exp(-4)), 1e-12);
      expect(pb).to.be.closeTo(1 - pa, 1e-12);
      expect(jointLogLikelihood(m, [2, 3])[0]).to.be.closeTo(Math.log(1 / 3) - Math.log(2 * Math.PI) - 2.5, 1e-12);
      // Equidistant from both means, the prior decides.
      const [qa] = posteriors(m, [3, 3]);
      expect(qa).to.be.closeTo(1 / 3, 1e-12);
      expect(predict(m, [3, 3])).to.equal("b");
    });

    it("stays finite in logs where the product of 96 densities underflows", function () {
      const m = fitGaussianNb(
        [
          new Array<number>(96).fill(0),
          new Array<number>(96).fill(1),
          new Array<number>(96).fill(10),
          new Array<number>(96).fill(11),
        ],
        ["lo", "lo", "hi", "hi"],
      );
      const x = new Array<number>(96).fill(6);
      expect(jointLogLikelihood(m, x).map(Math.exp)).to.deep.equal([0, 0]);
      const p = posteriors(m, x);
      expect(p.every(Number.isFinite)).to.equal(true);
      expect(p[0] + p[1]).to.be.closeTo(1, 1e-12);
      // Classes sort as [hi, lo]; 6 is nearer the "hi" mean 10.5 than the "lo" mean 0.5.
      expect(p[0]).to.be.greaterThan(0.99);
    });

    it("smooths variances so a constant feature does not divide by zero", function () {
      const rows = [
        [1, 0],
        [1, 2],
        [5, 10],
        [5, 12],
      ];
      const labels = ["p", "p", "q", "q"];
      const m = fitGaussianNb(rows, labels);
      // Largest feature variance is that of feature 1 over all rows: mean 6, variance 26.
      expect(m.epsilon).to.be.closeTo(26e-9, 1e-15);
      expect(m.variances[0][0]).to.be.closeTo(26e-9, 1e-15);
      expect(predict(m, [1, 1])).to.equal("p");
      expect(() => fitGaussianNb(rows, labels, 0)).to.throw("zero variance");
    });

    it("classifies a separable synthetic problem perfectly on a held-out split", function () {
      const rng = createRng(3);
      const centres: Record<string, number[]> = { x: [0, 0, 0, 0], y: [6, 0, 6, 0], z: [0, 6, 0, 6] };
      const rows: number[][] = [];
      const labels: string[] = [];
      for (const [label, c] of Object.entries(centres)) {
        for (let i = 0; i < 40; i++) {
          rows.push(c.map((v) => v + rng.normal()));
          labels.push(label);
        }
      }
      const split = stratifiedSplit(labels, 0.25, 9);
      const m = fitGaussianNb(
        split.train.map((i) => rows[i]),
        split.train.map((i) => labels[i]),
      );
      const e = evaluate(
        ["x", "y", "z"],
        split.test.map((i) => labels[i]),
        split.test.map((i) => predict(m, rows[i])),
      );
      expect(e.accuracy).to.equal(1);
      expect(e.confusion).to.deep.equal([
        [10, 0, 0],
        [0, 10, 0],
        [0, 0, 10],
      ]);
    });
  });

  describe("stratifiedSplit", function () {
    const labels = [
      ...new Array<string>(70).fill("weekday"),
      ...new Array<string>(28).fill("weekend"),
      "holiday",
      "holiday",
    ];

    it("holds out the fraction of every class, and at least one of a rare class", function () {
      const s = stratifiedSplit(labels, 0.3, 1);
      const count = (idx: number[], l: string) => idx.filter((i) => labels[i] === l).length;
      expect([count(s.test, "weekday"), count(s.test, "weekend"), count(s.test, "holiday")]).to.deep.equal([21, 8, 1]);
      expect(count(s.train, "holiday")).to.equal(1);
      expect([...s.train, ...s.test].sort((p, q) => p - q)).to.deep.equal(labels.map((_, i) => i));
    });

    it("is reproducible from the seed and changes with it", function () {
      expect(stratifiedSplit(labels, 0.3, 4)).to.deep.equal(stratifiedSplit(labels, 0.3, 4));
      expect(stratifiedSplit(labels, 0.3, 4).test).to.not.deep.equal(stratifiedSplit(labels, 0.3, 5).test);
      expect(() => stratifiedSplit(labels, 1, 1)).to.throw("test fraction must be in (0, 1)");
    });
  });

  describe("evaluate", function () {
    it("computes the confusion matrix, accuracy, balanced accuracy and F1", function () {
      const e = evaluate(["a", "b"], ["a", "a", "a", "b"], ["a", "a", "b", "b"]);
      expect(e.confusion).to.deep.equal([
        [2, 1],
        [0, 1],
      ]);
      expect(e.accuracy).to.equal(0.75);
      expect(e.balancedAccuracy).to.be.closeTo((2 / 3 + 1) / 2, 1e-12);
      expect(e.perClass[1].precision).to.equal(0.5);
      expect(e.perClass[1].f1).to.be.closeTo(2 / 3, 1e-12);
    });
  });

  describe("runCluster / runClassify on a small hourly fixture", function () {
    // 9 weeks of US Eastern days from Monday 2012-01-02 (before the March DST change). Weekdays peak at 09:00 and
    // 18:00, weekends only in the afternoon, at a lower level, with seeded noise.
    const dir = mkdtempSync(join(tmpdir(), "gov-run-"));
    const file = join(dir, "load.csv");
    const rng = createRng(2);
    const rows = ["timestamp,load_mw"];
    const t0 = Date.parse("2012-01-02T05:00:00Z");
    for (let h = 0; h < 63 * 24; h++) {
      const hour = h % 24;
      const dow = (1 + Math.floor(h / 24)) % 7;
      const weekend = dow === 0 || dow === 6;
      const shape = weekend
        ? 2600 + 300 * Math.exp(-((hour - 15) ** 2) / 8)
        : 3000 + 600 * Math.exp(-((hour - 9) ** 2) / 4) + 700 * Math.exp(-((hour - 18) ** 2) / 4);
      rows.push(`${new Date(t0 + h * 3_600_000).toISOString()},${(shape + 30 * rng.normal()).toFixed(1)}`);
    }
    writeFileSync(file, rows.join("\n") + "\n");

    it("clusters weekdays apart from weekends and writes the JSON and SVG", async function () {
      const report = await runCluster(parseClusterOptions({ data: file, k: "2..3", method: "kmedoids", out: dir }));
      expect(report.chosenK).to.equal(2);
      expect(report.data.profiles).to.equal(63);
      const [c1, c2] = report.clusters;
      expect(c1.dayTypes.weekend).to.equal(0);
      expect(c2.dayTypes.weekday).to.equal(0);
      expect(c2.size).to.equal(18);
      const json = JSON.parse(readFileSync(report.outputs.json, "utf8")) as typeof report;
      expect(json.assignments).to.have.length(63);
      expect(json.assignments[5]).to.include({ date: "2012-01-07", dayType: "weekend", cluster: 2 });
      expect(readFileSync(report.outputs.svg, "utf8")).to.match(/^<svg/);
      expect(existsSync(join(dir, "cluster-load-kmedoids-zscore.svg"))).to.equal(true);
    });

    it("beats the majority baseline with naive Bayes and reports the confusion matrix", function () {
      const report = runClassify(parseClassifyOptions({ data: file, seed: 3, out: dir }));
      expect(report.baseline.predicts).to.equal("weekday");
      expect(report.naiveBayes.accuracy).to.be.greaterThan(report.baseline.accuracy);
      const weekend = report.naiveBayes.perClass.find((m) => m.label === "weekend")!;
      expect(weekend.recall).to.equal(1);
      const total = report.naiveBayes.confusion.flat().reduce((s, v) => s + v, 0);
      expect(total).to.equal(report.predictions.length);
      expect(existsSync(report.outputs.json)).to.equal(true);
    });

    it("names the bad option", function () {
      expect(() => parseClusterOptions({ data: file, method: "dbscan" })).to.throw("--method");
      expect(() => parseClassifyOptions({ data: file, testFraction: 1.5 })).to.throw("--test-fraction");
      expect(() => parseClassifyOptions({ data: file, features: "all" })).to.throw("--features");
    });
  });
});
