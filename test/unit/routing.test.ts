import { expect } from "chai";
import { buildNetwork, GridNetwork } from "../../src/grid/network";
import { defaultSources, Source } from "../../src/grid/sources";
import { parseAlgorithmNames } from "../../src/routing/algorithms";
import { pickCandidate } from "../../src/routing/algorithms/qtdr";
import { radbmm } from "../../src/routing/algorithms/radbmm";
import { loadNetwork, reportToJson, routePeriod } from "../../src/routing/api";
import { RoutingContext } from "../../src/routing/context";
import { buildDemands, orderDemands } from "../../src/routing/demands";
import { largestDegreeNode, rankGenerators } from "../../src/routing/election";
import { evaluateRoutes } from "../../src/routing/evaluate";
import { parseBackground, parseModelOverrides } from "../../src/routing/inputs";
import { resolveRoutingOptions } from "../../src/routing/options";
import { PathSearch } from "../../src/routing/search";
import { loadBalanceDegree, LoadState } from "../../src/routing/state";
import { kShortestPaths } from "../../src/routing/yen";
import { toyCase } from "../helpers/gridCases";

/** A 4-bus line 1-2-3-4 of 100 km links (x = 0.25 p.u. at 400 km/p.u.). */
function lineNetwork(): GridNetwork {
  return buildNetwork(
    "line4",
    toyCase("line4", 4, [
      [1, 2, 0.25],
      [2, 3, 0.25],
      [3, 4, 0.25],
    ]),
  );
}

/** Every simple path from s to t by depth-first search, with its cost: the oracle for Yen. */
function allSimplePaths(
  net: GridNetwork,
  s: number,
  t: number,
  w: (l: number) => number,
): { nodes: number[]; cost: number }[] {
  const out: { nodes: number[]; cost: number }[] = [];
  const walk = (v: number, nodes: number[], cost: number): void => {
    if (v === t) {
      out.push({ nodes: [...nodes], cost });
      return;
    }
    for (let k = net.adjStart[v]; k < net.adjStart[v + 1]; k++) {
      const u = net.adjNode[k];
      if (nodes.includes(u)) continue;
      nodes.push(u);
      walk(u, nodes, cost + w(net.adjLink[k]));
      nodes.pop();
    }
  };
  walk(s, [s], 0);
  return out.sort((a, b) => a.cost - b.cost);
}

describe("routing", function () {
  describe("delay model on a 4-node line (hand-checked)", function () {
    const mu = 1e9 / (65536 * 8); // line rate in 64 KiB packets/s
    const D = 1e6; // bytes: ceil(1e6 / 65536) = 16 packets per 1 s period
    const fixed = 0.5e-3 + 100 / 2e5; // T_base + L / v
    const rb = 1e9 - 8e6; // remaining bandwidth once the 8 Mbit/s block is routed

    it("prices each hop as (T_node + T_base + L/v + D/RB) and sums three hops", function () {
      const net = lineNetwork();
      const opts = resolveRoutingOptions();
      const demands = buildDemands(net, [{ bus: 1, bytes: D }], opts);
      const path = { nodes: [0, 1, 2, 3], links: [0, 1, 2] };
      const ev = evaluateRoutes(net, opts, demands, 3, [path], new PathSearch(net));
      // Each sender carries 16 packets/s; with K = 64 the loss is ~1e-130, so T_node is M/M/1's 1/(mu - lambda).
      const tNode = 1 / (mu - 16);
      const hop = tNode + fixed + (D * 8) / rb;
      expect(ev.routes[0].delayMs).to.be.closeTo(3 * hop * 1000, 1e-9);
      expect(ev.collectMs).to.be.closeTo(3 * hop * 1000, 1e-9);
      // Header (256 B) broadcast from bus 4: bus 4 sends nothing else (T_node = 1/mu), buses 3 and 2 forward the block.
      const header = (256 * 8) / rb;
      const broadcast = 1 / mu + fixed + header + 2 * (tNode + fixed + header);
      expect(ev.broadcastMs).to.be.closeTo(broadcast * 1000, 1e-9);
      expect(ev.blockTimeMs).to.be.closeTo((3 * hop + 0.005 + 2 * broadcast) * 1000, 1e-9);
      expect(ev.links.map((l) => l.util)).to.deep.equal([0.008, 0.008, 0.008]);
    });

    it("divides each hop by 1 - P_loss to count retransmissions", function () {
      const net = lineNetwork();
      const opts = resolveRoutingOptions({ bufferPackets: 1 });
      const demands = buildDemands(net, [{ bus: 1, bytes: D }], opts);
      const state = new LoadState(net, opts, demands);
      const path = { nodes: [0, 1, 2, 3], links: [0, 1, 2] };
      state.allocate(path, demands[0]);
      // K = 1: an accepted packet never waits (T_node = 1/mu) and P_loss = rho / (1 + rho).
      const rho = 16 / mu;
      const hop = (1 / mu + fixed + (D * 8) / rb) * (1 + rho);
      expect(state.pathDelay(path, D)).to.be.closeTo(3 * hop, 1e-15);
    });

    it("prices a link with no bandwidth left as unbounded", function () {
      const net = lineNetwork();
      const opts = resolveRoutingOptions();
      const demands = buildDemands(net, [{ bus: 1, bytes: 125e6 }], opts); // 1 Gbit/s: the whole link
      const ev = evaluateRoutes(
        net,
        opts,
        demands,
        3,
        [{ nodes: [0, 1, 2, 3], links: [0, 1, 2] }],
        new PathSearch(net),
      );
      expect(ev.routes[0].delayMs).to.equal(Infinity);
      expect(ev.deadlineViolations).to.equal(1);
      expect(ev.overloadedLinks).to.equal(3);
      expect(JSON.parse(reportToJson(ev)).routes[0].delayMs).to.equal(null);
    });
  });

  describe("kShortestPaths (Yen)", function () {
    // Wikipedia's Yen example as an undirected graph: C=1 D=2 E=3 F=4 G=5 H=6.
    const net = buildNetwork(
      "yen",
      toyCase("yen", 6, [
        [1, 2, 3],
        [1, 3, 2],
        [2, 4, 4],
        [3, 2, 1],
        [3, 4, 2],
        [3, 5, 3],
        [4, 5, 2],
        [4, 6, 1],
        [5, 6, 2],
      ]),
    );
    const cost = (l: number): number => net.grid.branches[l].x;
    const weight = (_u: number, l: number): number => cost(l);

    it("lists the K cheapest loopless paths in order, as brute force does", function () {
      const oracle = allSimplePaths(net, 0, 5, cost);
      const paths = kShortestPaths(new PathSearch(net), { source: 0, target: 5, weight }, 6);
      expect(paths.map((p) => p.cost)).to.deep.equal(oracle.slice(0, 6).map((p) => p.cost));
      expect(paths[0].nodes.map((v) => v + 1)).to.deep.equal([1, 3, 4, 6]); // C-E-F-H, cost 5
      const keys = new Set(paths.map((p) => p.nodes.join(",")));
      expect(keys.size).to.equal(6);
      for (const p of paths) {
        expect(new Set(p.nodes).size).to.equal(p.nodes.length);
        expect(p.links.reduce((s, l) => s + cost(l), 0)).to.equal(p.cost);
      }
    });

    it("returns every path when K exceeds their number", function () {
      const oracle = allSimplePaths(net, 0, 5, cost);
      const paths = kShortestPaths(new PathSearch(net), { source: 0, target: 5, weight }, 100);
      expect(paths.map((p) => p.cost)).to.deep.equal(oracle.map((p) => p.cost));
    });

    it("respects a hop budget exactly", function () {
      const oracle = allSimplePaths(net, 0, 5, cost).filter((p) => p.nodes.length - 1 <= 3);
      const paths = kShortestPaths(new PathSearch(net), { source: 0, target: 5, weight, hopBudget: 3 }, 100);
      expect(paths.map((p) => p.cost)).to.deep.equal(oracle.map((p) => p.cost));
      for (const p of paths) expect(p.links.length).to.be.at.most(3);
    });
  });

  describe("load-balance degree", function () {
    it("is the population standard deviation of remaining bandwidth", function () {
      expect(loadBalanceDegree([1, 2, 3, 4], [0, 1, 2, 3])).to.be.closeTo(Math.sqrt(1.25), 1e-12);
      expect(loadBalanceDegree([1, 2, 3, 4], [1])).to.equal(0);
      expect(loadBalanceDegree([1, 2, 3, 4], [])).to.equal(0);
    });

    it("tracks LB_net incrementally, and predicts it before allocating", function () {
      const net = lineNetwork();
      const opts = resolveRoutingOptions();
      const demands = buildDemands(net, [{ bus: 1, bytes: 5e6 }], opts);
      const state = new LoadState(net, opts, demands);
      expect(state.lbNet()).to.equal(0);
      const predicted = state.lbNetIfAllocated([0, 1], demands[0].rateBps);
      state.allocate({ nodes: [0, 1, 2], links: [0, 1] }, demands[0]);
      // RB = [960, 960, 1000] Mbit/s: mean 973.33, sd = sqrt((2 * 13.33^2 + 26.67^2) / 3) = 18.856.
      expect(state.lbNet()).to.be.closeTo(40 * Math.sqrt(2 / 9), 1e-9);
      expect(predicted).to.be.closeTo(state.lbNet(), 1e-9);
      expect(state.lbNet()).to.be.closeTo(loadBalanceDegree(state.rb, [0, 1, 2]) / 1e6, 1e-9);
    });
  });

  describe("generator election", function () {
    it("elects the hub of a star, for min-max delay and for SP's largest degree", function () {
      const net = buildNetwork(
        "star",
        toyCase(
          "star",
          [10, 11, 12, 13, 14, 15],
          [
            [10, 11, 0.1],
            [10, 12, 0.1],
            [10, 13, 0.1],
            [10, 14, 0.1],
            [10, 15, 0.1],
          ],
        ),
      );
      const opts = resolveRoutingOptions();
      const sources: Source[] = [11, 12, 13, 14].map((bus) => ({ bus, bytes: 4e6 }));
      const demands = buildDemands(net, sources, opts);
      const ranking = rankGenerators(new LoadState(net, opts, demands), demands);
      expect(net.busIds[ranking[0].node]).to.equal(10);
      expect(ranking[0].unreachable).to.equal(0);
      expect(ranking[0].maxDelayS).to.be.lessThan(ranking[1].maxDelayS);
      expect(net.busIds[largestDegreeNode(net)]).to.equal(10);
      for (const name of ["QT-DR", "QoS-R", "RA-DBMM", "SP"] as const) {
        expect(routePeriod(net, sources, {}, [name]).algorithms[name]!.generator).to.equal(10);
      }
    });
  });

  describe("QT-DR candidate choice", function () {
    const path = { nodes: [], links: [] };
    it("takes the smallest LB among deadline-meeting candidates, else the fastest", function () {
      const c = [
        { path, delayS: 0.3, lbNet: 5 },
        { path, delayS: 0.9, lbNet: 2 },
        { path, delayS: 1.5, lbNet: 1 },
      ];
      expect(pickCandidate(c, 1)).to.equal(c[1]);
      expect(pickCandidate(c, 0.5)).to.equal(c[0]);
      expect(pickCandidate(c, 0.1)).to.equal(c[0]);
    });

    it("orders demands by tightest deadline, then largest block", function () {
      const net = lineNetwork();
      const opts = resolveRoutingOptions();
      const d = buildDemands(
        net,
        [
          { bus: 1, bytes: 1e6 },
          { bus: 2, bytes: 9e6 },
          { bus: 3, bytes: 2e6, deadlineMs: 50 },
        ],
        opts,
      );
      expect(orderDemands(d).map((x) => x.bus)).to.deep.equal([3, 2, 1]);
    });
  });

  describe("IEEE 14 route invariants", function () {
    const net = loadNetwork({ case: "14" });
    const report = routePeriod(
      net,
      [
        { bus: 1, bytes: 4e6 },
        { bus: 2, bytes: 9e6 },
        { bus: 3, bytes: 6e6 },
        { bus: 6, bytes: 8e6 },
        { bus: 13, bytes: 14e6 },
        { bus: 10, bytes: 12e6 },
      ],
      {},
      ["QT-DR", "QT-DR+LS", "QoS-R", "RA-DBMM", "SP"],
    );
    const linked = new Set<string>();
    for (const b of net.grid.branches) if (b.status === 1) linked.add(`${b.from}-${b.to}`).add(`${b.to}-${b.from}`);

    for (const [name, result] of Object.entries(report.algorithms)) {
      it(`${name}: every path runs source to generator over real links, loop-free, within the hop bound`, function () {
        expect(result!.routes).to.have.length(6);
        for (const r of result!.routes) {
          expect(r.path[0]).to.equal(r.source);
          expect(r.path[r.path.length - 1]).to.equal(result!.generator);
          expect(new Set(r.path).size).to.equal(r.path.length);
          expect(r.hops)
            .to.equal(r.path.length - 1)
            .and.to.be.at.most(report.options.hopBound);
          for (let i = 0; i + 1 < r.path.length; i++)
            expect(linked.has(`${r.path[i]}-${r.path[i + 1]}`)).to.equal(true);
        }
      });

      it(`${name}: conserves flow (each node sends what it originates and relays; the generator absorbs the rest)`, function () {
        const flowIn = new Map<number, number>();
        const flowOut = new Map<number, number>();
        const add = (m: Map<number, number>, k: number, v: number): void => void m.set(k, (m.get(k) ?? 0) + v);
        for (const r of result!.routes) {
          for (let i = 0; i + 1 < r.path.length; i++) {
            add(flowOut, r.path[i], r.bytes);
            add(flowIn, r.path[i + 1], r.bytes);
          }
        }
        let delivered = 0;
        for (const bus of net.busIds) {
          const originated = result!.routes
            .filter((r) => r.source === bus && bus !== result!.generator)
            .reduce((s, r) => s + r.bytes, 0);
          const balance = (flowOut.get(bus) ?? 0) - (flowIn.get(bus) ?? 0);
          if (bus === result!.generator) delivered = -balance;
          else expect(balance).to.equal(originated);
        }
        expect(delivered).to.equal(
          result!.routes.filter((r) => r.source !== result!.generator).reduce((s, r) => s + r.bytes, 0),
        );
      });

      it(`${name}: link loads add up from the routes and never exceed the bandwidth`, function () {
        const perLink = new Map<string, number>();
        for (const r of result!.routes) {
          for (let i = 0; i + 1 < r.path.length; i++) {
            const [a, b] = [r.path[i], r.path[i + 1]];
            const key = a < b ? `${a}-${b}` : `${b}-${a}`;
            perLink.set(key, (perLink.get(key) ?? 0) + (r.bytes * 8) / 1e9);
          }
        }
        for (const l of result!.links) {
          const key = l.from < l.to ? `${l.from}-${l.to}` : `${l.to}-${l.from}`;
          expect(l.util).to.be.closeTo(perLink.get(key) ?? 0, 1e-12);
          expect(l.util).to.be.at.most(1); // remaining bandwidth never negative
        }
        expect(result!.overloadedLinks).to.equal(0);
        expect(result!.deadlineViolations).to.equal(0);
      });
    }

    it("lets local search only improve on QT-DR's balance (it starts from QT-DR's routes)", function () {
      expect(report.algorithms["QT-DR+LS"]!.lbNet).to.be.at.most(report.algorithms["QT-DR"]!.lbNet + 1e-9);
    });
  });

  describe("routePeriod", function () {
    it("returns the grid:route keys for every algorithm", function () {
      const net = loadNetwork({ case: "39" });
      const r = routePeriod(net, [
        { bus: 8, bytes: 14e6 },
        { bus: 15, bytes: 12e6 },
        { bus: 1, bytes: 4e6 },
      ]);
      expect(r).to.include.keys("case", "buses", "links", "sources", "algorithms");
      expect([r.case, r.buses, r.links]).to.deep.equal(["ieee39", 39, 46]);
      expect(Object.keys(r.algorithms)).to.deep.equal(["QT-DR", "QoS-R", "RA-DBMM", "SP"]);
      for (const a of Object.values(r.algorithms)) {
        expect(a).to.include.keys(
          "generator",
          "blockTimeMs",
          "lbNet",
          "lbUsed",
          "maxUtil",
          "meanUtil",
          "deadlineViolations",
          "runtimeMs",
          "routes",
          "links",
        );
        expect(a!.routes[0]).to.include.keys("source", "path", "delayMs");
        expect(a!.links[0]).to.include.keys("from", "to", "util");
      }
    });

    it("adds T_build to the block time one for one", function () {
      const net = loadNetwork({ case: "39" });
      const sources = [
        { bus: 8, bytes: 14e6 },
        { bus: 15, bytes: 12e6 },
      ];
      const a = routePeriod(net, sources, { tBuildMs: 5 }, ["QoS-R"]).algorithms["QoS-R"]!;
      const b = routePeriod(net, sources, { tBuildMs: 45 }, ["QoS-R"]).algorithms["QoS-R"]!;
      expect(b.blockTimeMs - a.blockTimeMs).to.be.closeTo(40, 1e-9);
      expect(b.tBuildMs).to.equal(45);
    });

    it("flags missed deadlines but never drops a demand", function () {
      const net = loadNetwork({ case: "14" });
      const sources = [
        { bus: 1, bytes: 4e6 },
        { bus: 2, bytes: 9e6 },
        { bus: 14, bytes: 6e6, deadlineMs: 1 },
      ];
      for (const [name, a] of Object.entries(
        routePeriod(net, sources, {}, ["QT-DR", "QoS-R", "RA-DBMM", "SP"]).algorithms,
      )) {
        expect(a!.routes, name).to.have.length(3);
        expect(a!.deadlineViolations, name).to.equal(1);
      }
    });

    it("routes within the generator's island and reports the unreachable sources", function () {
      const net = buildNetwork(
        "split",
        toyCase("split", 7, [
          [1, 2, 0.1],
          [2, 3, 0.1],
          [3, 4, 0.1],
          [4, 5, 0.1, 0], // out of service: {1..4} and {5, 6, 7} are islands
          [5, 6, 0.1],
          [6, 7, 0.1],
        ]),
      );
      const sources = [
        { bus: 1, bytes: 1e6 },
        { bus: 3, bytes: 1e6 },
        { bus: 4, bytes: 1e6 },
        { bus: 7, bytes: 2e6 },
      ];
      const r = routePeriod(net, sources, {}, ["QT-DR", "QT-DR+LS", "QoS-R", "RA-DBMM", "SP"]);
      expect(r.islands).to.equal(2);
      for (const name of ["QT-DR", "QT-DR+LS", "QoS-R", "RA-DBMM"] as const) {
        const a = r.algorithms[name]!;
        expect([1, 2, 3, 4], name).to.include(a.generator);
        expect(a.unreachable, name).to.deep.equal([{ source: 7, bytes: 2e6 }]);
        expect(
          a.routes.map((x) => x.source),
          name,
        ).to.deep.equal([1, 3, 4]);
      }
    });

    it("rejects a source on a bus the case does not have", function () {
      const net = lineNetwork();
      expect(() => routePeriod(net, [{ bus: 99, bytes: 1 }])).to.throw(RangeError, /sources\[0\]\.bus 99/);
      expect(() => routePeriod(net, [])).to.throw(RangeError, /no sources/);
    });

    it("shares the election across algorithms within one call", function () {
      const net = loadNetwork({ case: "39" });
      const ctx = new RoutingContext(
        net,
        resolveRoutingOptions(),
        buildDemands(net, [{ bus: 8, bytes: 1e6 }], resolveRoutingOptions()),
      );
      expect(ctx.generatorRanking()).to.equal(ctx.generatorRanking());
    });
  });

  describe("inputs", function () {
    it("resolves algorithm names loosely and names an unknown one", function () {
      expect(parseAlgorithmNames("qtdr, qos-r,RA-DBMM,sp,QT-DR+LS")).to.deep.equal([
        "QT-DR",
        "QoS-R",
        "RA-DBMM",
        "SP",
        "QT-DR+LS",
      ]);
      expect(() => parseAlgorithmNames("QT-DR,Dijkstra")).to.throw(/unknown algorithm "Dijkstra"/);
    });

    it("parses --background ranges and --model overrides, naming bad fields", function () {
      expect(parseBackground("0.1-0.5", 4)).to.deep.equal({ seed: 4, min: 0.1, max: 0.5 });
      expect(parseBackground(undefined, 4)).to.equal(null);
      expect(() => parseBackground("0.5-0.1", 1)).to.throw(/--background/);
      expect(
        parseModelOverrides('{"routing":{"hopBound":8},"network":{"bandwidthBps":1e10},"sources":{"fraction":0.3}}'),
      ).to.deep.equal({
        routing: { hopBound: 8 },
        network: { bandwidthBps: 1e10 },
        sources: { fraction: 0.3 },
      });
      expect(() => parseModelOverrides('{"routing":{"hopBound":0}}')).to.throw(/routing\.hopBound/);
      expect(() => parseModelOverrides('{"routing":{"hops":3}}')).to.throw(/--model: line 1/);
    });
  });

  describe("RA-DBMM threshold search", function () {
    for (const seed of [0, 1, 2]) {
      it(`routes IEEE 118 the same by bisection as by trying every threshold (background seed ${seed})`, function () {
        const net = loadNetwork({ case: "118" }, seed ? { background: { seed, min: 0.1, max: 0.5 } } : {});
        const sources = defaultSources(net.caseName, net.grid);
        const opts = resolveRoutingOptions({});
        const run = (search: "bisection" | "exhaustive") =>
          radbmm(new RoutingContext(net, opts, buildDemands(net, sources, opts)), search);
        const [bisection, exhaustive] = [run("bisection"), run("exhaustive")];
        expect(exhaustive.routes.map((r) => r.path)).to.deep.equal(bisection.routes.map((r) => r.path));
        expect(exhaustive.lbNet).to.equal(bisection.lbNet);
      });
    }
  });
});
