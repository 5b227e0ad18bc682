import { expect } from "chai";
import { assertLoopback, percentile, summarise } from "../../bench/lib/chain";
import { parseExpiry, parseTime } from "../../src/sharing/datasets.node";

describe("chain bench: statistics and guards", function () {
  it("takes nearest-rank percentiles", function () {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).to.equal(50);
    expect(percentile(xs, 95)).to.equal(95);
    expect(percentile([7], 95)).to.equal(7);
    expect(percentile([], 95)).to.equal(0);
  });

  it("summarises a phase: throughput over the first send to the last success, failures counted", function () {
    const r = summarise(10, [0, 100, 200, 300], [50, 150, undefined, 1300], ["boom", "boom"]);
    expect(r).to.deep.include({ offeredRate: 10, sent: 4, ok: 3, failed: 1, meanMs: 366.67, p50Ms: 50, p95Ms: 1000 });
    expect(r.throughput).to.equal(2.31);
    expect(r.errors).to.deep.equal(["boom"]);
  });

  it("refuses any node that is not on loopback", function () {
    for (const url of ["http://127.0.0.1:8545", "http://localhost:8545", "http://[::1]:8545"]) assertLoopback(url);
    expect(() => assertLoopback("http://10.0.0.2:8545")).to.throw("only runs against a loopback node");
    expect(() => assertLoopback("https://rpc.example.org")).to.throw("only runs against a loopback node");
  });
});

describe("sharing: expiry and time parsing", function () {
  const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z

  it("reads dates (UTC when no zone is given), unix seconds and durations from chain time", function () {
    expect(parseTime("2026-01-01")).to.equal(NOW);
    expect(parseTime("2026-01-01T06:00:00Z")).to.equal(NOW + 21_600);
    expect(parseTime("2026-01-01T06:00")).to.equal(NOW + 21_600);
    expect(parseTime("2026-01-01T08:00:00+02:00")).to.equal(NOW + 21_600);
    expect(parseTime(String(NOW))).to.equal(NOW);
    expect(parseExpiry("30d", NOW)).to.equal(NOW + 30 * 86_400);
    expect(parseExpiry("+12h", NOW)).to.equal(NOW + 12 * 3_600);
    expect(parseExpiry("90m", NOW)).to.equal(NOW + 5_400);
    expect(parseExpiry("2026-01-02", NOW)).to.equal(NOW + 86_400);
  });

  it("refuses anything else with the accepted forms", function () {
    expect(() => parseExpiry("next week", NOW)).to.throw("--expiry must be a date");
    expect(() => parseTime("01/02/2026")).to.throw("expected a date");
  });
});
