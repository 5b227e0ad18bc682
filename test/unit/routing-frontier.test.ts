import { expect } from "chai";
import { defaultSources } from "../../src/grid/sources";
import { DEFAULT_LOCAL_SEARCH } from "../../src/routing/algorithms/qtdrLs";
import { loadNetwork, routePeriod } from "../../src/routing/api";
import { FrontierPoint, nonDominated, paretoFrontier } from "../../src/routing/frontier";
import { frontierSpec, type FrontierPlotPoint } from "../../src/routing/plots";

const point = (label: string, blockTimeMs: number, lbNet: number, deadlineViolations = 0): FrontierPoint => ({
  label,
  kind: "algorithm",
  collectCapMs: null,
  generator: 1,
  blockTimeMs,
  lbNet,
  deadlineViolations,
});

describe("routing frontier", function () {
  this.timeout(60_000);

  describe("nonDominated", function () {
    it("keeps exactly the points no other violation-free point beats on both axes, fastest first", function () {
      const pts = [
        point("a", 100, 50),
        point("b", 200, 30),
        point("c", 150, 60),
        point("d", 300, 30),
        point("e", 90, 10, 2),
      ];
      expect(nonDominated(pts).map((p) => p.label)).to.deep.equal(["a", "b"]);
    });
  });

  describe("frontierSpec (frontier-<case>.svg)", function () {
    const plotted: FrontierPlotPoint[] = [
      { label: "sweep 1", kind: "optimiser", blockTimeMs: 275, lbNet: 40.6, onFrontier: true },
      { label: "QT-DR+LS", kind: "algorithm", blockTimeMs: 280, lbNet: 40.6, onFrontier: true },
      { label: "QT-DR", kind: "algorithm", blockTimeMs: 358, lbNet: 41.6, onFrontier: false },
    ];
    type Layer = { mark?: { type: string }; encoding?: { color?: { scale: { domain: string[]; range: string[] } } } };

    it("gives the optimiser's sweep and QT-DR+LS different colours, so the legend tells them apart", function () {
      const spec = frontierSpec("ieee57", plotted) as { layer: Layer[] };
      const { domain, range } = spec.layer.find((l) => l.encoding?.color)!.encoding!.color!.scale;
      expect(domain).to.deep.equal(["QT-DR+LS sweep", "QT-DR+LS", "QT-DR"]);
      expect(new Set(range).size).to.equal(domain.length);
    });

    it("labels each spot with every algorithm that lands on it, so coinciding points stay visible", function () {
      const same: FrontierPlotPoint[] = [
        ...plotted,
        { label: "QoS-R", kind: "algorithm", blockTimeMs: 358, lbNet: 41.6, onFrontier: false },
      ];
      const spec = frontierSpec("ieee14", same) as {
        layer: { mark?: { type: string }; data?: { values: { text: string }[] } }[];
      };
      const texts = spec.layer.find((l) => l.mark?.type === "text" && l.data)!.data!.values.map((v) => v.text);
      expect(texts).to.deep.equal(["QT-DR+LS", "QT-DR = QoS-R"]);
    });

    it("draws the proven lower bound on LB_net as a labelled rule when it is known", function () {
      type Layers = { layer: { data?: { values: unknown[] }; layer?: { mark: { type: string } }[] }[] };
      const withBound = frontierSpec("ieee57", plotted, 24.1) as Layers;
      const rule = withBound.layer.find((l) => l.layer?.some((m) => m.mark.type === "rule"));
      expect(rule?.data?.values).to.deep.equal([{ lbNet: 24.1, text: "proven lower bound 24.10" }]);
      const without = frontierSpec("ieee57", plotted) as Layers;
      expect(without.layer.some((l) => l.layer)).to.equal(false);
    });
  });

  describe("paretoFrontier", function () {
    it("returns violation-free, mutually non-dominated points covering QT-DR and the baselines on IEEE 14", function () {
      const net = loadNetwork({ case: "14" });
      const sources = defaultSources(net.caseName, net.grid);
      const report = routePeriod(net, sources, {}, ["QT-DR", "QoS-R", "RA-DBMM", "SP"]);
      const f = paretoFrontier(net, sources, report, {
        steps: 3,
        localSearch: { ...DEFAULT_LOCAL_SEARCH, kicks: 10 },
      });
      expect(f.points.filter((p) => p.kind === "algorithm").map((p) => p.label)).to.deep.equal([
        "QT-DR",
        "QoS-R",
        "RA-DBMM",
        "SP",
      ]);
      expect(f.points.filter((p) => p.kind === "optimiser")).to.have.length(3);
      expect(f.frontier.length).to.be.greaterThan(0);
      for (const p of f.frontier) {
        expect(p.deadlineViolations).to.equal(0);
        for (const q of f.frontier) {
          if (q === p) continue;
          expect(q.blockTimeMs <= p.blockTimeMs && q.lbNet <= p.lbNet, `${q.label} dominates ${p.label}`).to.equal(
            false,
          );
        }
      }
      // Every violation-free point is on the frontier or dominated by a frontier point.
      for (const p of f.points.filter((x) => x.deadlineViolations === 0)) {
        expect(f.frontier.some((q) => q.blockTimeMs <= p.blockTimeMs && q.lbNet <= p.lbNet)).to.equal(true);
      }
      // IEEE 14: QoS-R, RA-DBMM and QT-DR coincide, so no routing beats them by 39% (bound: docs/grid-model.md).
      expect(f.jointClaim.byQtdr).to.equal(false);
    });
  });
});
