import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { GatewayEvents } from "./core";

/** The gateway's Prometheus metrics (one registry per gateway, so tests can run several in one process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "gridledger_" });
  const packages = new Counter({
    name: "gridledger_packages_total",
    help: "Packages received, by transport and outcome (accepted, duplicate, rejected) and reason",
    labelNames: ["via", "outcome", "reason"] as const,
    registers: [registry],
  });
  const records = new Counter({
    name: "gridledger_records_total",
    help: "Records by outcome: received (journaled), anchored, quarantined",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const backlog = new Gauge({
    name: "gridledger_backlog_records",
    help: "Records journaled but not yet anchored or quarantined",
    registers: [registry],
  });
  const journalLag = new Gauge({
    name: "gridledger_journal_lag_periods",
    help: "Periods between the gateway clock and the last closed period",
    registers: [registry],
  });
  const anchorLag = new Gauge({
    name: "gridledger_anchor_lag_periods",
    help: "Closed periods not yet anchored",
    registers: [registry],
  });
  const nodeUp = new Gauge({ name: "gridledger_node_up", help: "1 when the node answers", registers: [registry] });
  const batchLatency = new Histogram({
    name: "gridledger_batch_latency_seconds",
    help: "From the first package of a period received to its batch confirmed",
    buckets: [1, 2, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600],
    registers: [registry],
  });
  const gasPerBatch = new Histogram({
    name: "gridledger_gas_per_batch",
    help: "Gas used per anchored batch",
    buckets: [40_000, 50_000, 60_000, 70_000, 80_000, 100_000, 150_000],
    registers: [registry],
  });
  nodeUp.set(1);
  const events: GatewayEvents = {
    accepted: (a, via) => {
      packages.inc({ via, outcome: a.duplicate ? "duplicate" : "accepted", reason: "" });
      if (!a.duplicate) records.inc({ outcome: "received" }, a.records);
    },
    rejected: (e, via) => packages.inc({ via, outcome: "rejected", reason: e.reason }),
    periodClosed: (_p, n, quarantined) => records.inc({ outcome: "quarantined" }, quarantined),
    batchConfirmed: (b) => {
      records.inc({ outcome: "anchored" }, b.records);
      batchLatency.observe(b.lagMs / 1000);
      gasPerBatch.observe(b.gasUsed);
    },
    nodeState: (up) => nodeUp.set(up ? 1 : 0),
  };
  return { registry, events, backlog, journalLag, anchorLag };
}
export type GatewayMetrics = ReturnType<typeof createMetrics>;
