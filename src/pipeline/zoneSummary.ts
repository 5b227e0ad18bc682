import type { JournalBatch, JournalRecord } from "./journal";
import type { ZonePlan } from "./stages/gridModel";
import type { PeriodRouting, ZoneFigures, ZonesSummary } from "./summaryTypes";

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/**
 * A zoned run's figures per zone: its size, the generators it elected, the batches and records its generators
 * anchored, and its block time, LB_net and deadline violations over the periods.
 */
export function summariseZones(
  plan: ZonePlan,
  routing: readonly PeriodRouting[],
  batches: readonly JournalBatch[],
  records: readonly JournalRecord[],
): ZonesSummary {
  const zoneOfBus = new Map(plan.buses.map((id, i) => [id, plan.busZone[i]]));
  const perZone: ZoneFigures[] = Array.from({ length: plan.k }, (_, zone) => ({
    zone,
    buses: plan.busZone.filter((z) => z === zone).length,
    sources: 0,
    generators: [],
    batches: 0,
    records: 0,
    blockTimeMs: 0,
    lbNet: 0,
    deadlineViolations: 0,
  }));
  const elected = perZone.map(() => new Map<number, number>());
  const series = perZone.map(() => ({ blockTimeMs: [] as number[], lbNet: [] as number[] }));
  const zoned = routing.filter((p) => p.zones);
  for (const p of zoned)
    for (const z of p.zones!.zones) {
      const f = perZone[z.zone];
      if (!f) continue;
      f.sources = z.sources;
      f.deadlineViolations += z.deadlineViolations;
      if (z.generator !== null) elected[z.zone].set(z.generator, (elected[z.zone].get(z.generator) ?? 0) + 1);
      if (z.sources > 0) {
        series[z.zone].blockTimeMs.push(z.blockTimeMs);
        series[z.zone].lbNet.push(z.lbNet);
      }
    }
  const zoneOfBatch = new Map<string, number>();
  for (const b of batches) {
    const zone = zoneOfBus.get(b.generatorBus);
    if (zone === undefined || !perZone[zone]) continue;
    zoneOfBatch.set(b.batchKey, zone);
    perZone[zone].batches++;
  }
  for (const r of records) {
    const zone = r.status === "anchored" && r.batchKey ? zoneOfBatch.get(r.batchKey) : undefined;
    if (zone !== undefined) perZone[zone].records++;
  }
  perZone.forEach((f, z) => {
    f.generators = [...elected[z]].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([bus]) => bus);
    f.blockTimeMs = mean(series[z].blockTimeMs);
    f.lbNet = mean(series[z].lbNet);
  });
  return {
    requested: plan.requested,
    k: plan.k,
    tried: plan.tried,
    deadlineViolations: zoned.reduce((a, p) => a + p.zones!.deadlineViolations, 0),
    maxBlockTimeMs: mean(zoned.map((p) => p.zones!.maxBlockTimeMs)),
    lbNet: mean(zoned.map((p) => p.zones!.lbNet)),
    perZone,
  };
}
