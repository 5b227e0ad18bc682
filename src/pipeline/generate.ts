import { SigningKey } from "ethers";
import { createRng, type Rng } from "../common/rng";
import { RecordKind, type GridRecord } from "../merkle";
import type { LoadHistory } from "../validation/history";
import { driftFactor, type FaultKind, type FaultPlan } from "./faults";
import { priceAt, type PriceSeries } from "./market";
import { signPackage, type TerminalPackage } from "./packages";
import type { ScenarioTerminal } from "./scenario";

/** Everything a period's inputs are derived from; with the same context a period always comes out the same. */
export interface GenerationContext {
  caseName: string;
  terminals: readonly ScenarioTerminal[];
  /** Signing key per terminal (same order as `terminals`). */
  keys: readonly SigningKey[];
  chainId: bigint;
  /** GEFCom hourly load and temperature, interpolated at any instant. */
  load: LoadHistory;
  /** Mean of the load series: a terminal's readings are `load(t) * nominalMw / loadMean`. */
  loadMean: number;
  prices: PriceSeries;
  /** The GEFCom instant replayed at period 0, and the market quarter-hour priced at period 0 (epoch ms). */
  dataStartMs: number;
  marketStartMs: number;
  /** Chain time (unix s) where period 0's window starts. */
  chainStart: number;
  periodSeconds: number;
  /**
   * Seconds of replayed data (load, prices, energy) per period; defaults to periodSeconds. The terminal
   * simulator plays a 15-minute data frame in a shorter wall-clock period to accelerate time.
   */
  dataPeriodSeconds?: number;
  seed: number;
  /** Relative measurement noise (standard deviation) of source terminals and of meters. */
  noise: { source: number; meter: number };
  plan: FaultPlan;
  /** Terminal ids of the generator buses that sell energy, by bus. */
  sellers: readonly { bus: number; terminalId: string }[];
}

/** One generated record and what the pipeline needs to check it (and to score the checks). */
export interface GeneratedRecord {
  record: GridRecord;
  label: string;
  /** The fault injected into this record, if any (ground truth for the report). */
  fault?: FaultKind;
  /**
   * Readings only: the replayed GEFCom instant, the terminal's scale into system-load space and its rated
   * relative noise (what the operator knows of the sensor; the validator allows for it).
   */
  reading?: { dataTimeMs: number; scale: number; noise: number };
}

export interface GeneratedPackage {
  pkg: TerminalPackage;
  /** Index into `terminals`, or -1 for a package from an unregistered terminal. */
  terminal: number;
  label: string;
  items: GeneratedRecord[];
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The clean reading of a terminal at a sample: the replayed load, scaled, with seeded noise. */
function cleanValue(ctx: GenerationContext, t: ScenarioTerminal, dataTimeMs: number, rng: Rng): number {
  const load = ctx.load.valueAt(dataTimeMs);
  if (!Number.isFinite(load))
    throw new Error(`no load data at ${new Date(dataTimeMs).toISOString()} in the load series`);
  return ((load * t.nominalMw) / ctx.loadMean) * (1 + ratedNoise(ctx.noise, t) * rng.normal());
}

/** A terminal's rated relative noise (what the operator knows of the sensor): meters and sources differ. */
export function ratedNoise(noise: GenerationContext["noise"], t: Pick<ScenarioTerminal, "role">): number {
  return t.role === "meter" ? noise.meter : noise.source;
}

function readingFault(ctx: GenerationContext, rng: Rng): FaultKind | undefined {
  const { spikeRate, unitErrorRate, dropoutRate } = ctx.plan.options;
  const u = rng.next();
  if (u < spikeRate) return "spike";
  if (u < spikeRate + unitErrorRate) return "unit";
  if (u < spikeRate + unitErrorRate + dropoutRate) return "dropout";
  return undefined;
}

/** Generates one period: each producing terminal's signed package of readings (and meters' transactions). */
export function generatePeriod(ctx: GenerationContext, period: number): GeneratedPackage[] {
  const root = createRng(ctx.seed);
  const windowStart = ctx.chainStart + period * ctx.periodSeconds;
  const dataPeriod = ctx.dataPeriodSeconds ?? ctx.periodSeconds;
  const periodDataMs = ctx.dataStartMs + period * dataPeriod * 1000;
  const out: GeneratedPackage[] = [];
  const stale = ctx.plan.staleTimestamp.get(period) ?? [];

  ctx.terminals.forEach((t, index) => {
    if (t.samplesPerPeriod === 0) return;
    const rng = root.fork(`${period}:${t.label}`);
    const scale = t.nominalMw / ctx.loadMean;
    const items: GeneratedRecord[] = [];
    const stuck = ctx.plan.stuck.find((s) => s.terminal === index && period >= s.fromPeriod && period < s.toPeriod);
    const stuckValue =
      stuck &&
      cleanValue(
        ctx,
        t,
        ctx.dataStartMs + stuck.fromPeriod * dataPeriod * 1000,
        root.fork(`${stuck.fromPeriod}:${t.label}`),
      );
    for (let i = 0; i < t.samplesPerPeriod; i++) {
      const offset = Math.floor((i * ctx.periodSeconds) / t.samplesPerPeriod);
      const dataTimeMs = periodDataMs + Math.floor((i * dataPeriod) / t.samplesPerPeriod) * 1000;
      let value = cleanValue(ctx, t, dataTimeMs, rng);
      let fault = readingFault(ctx, rng);
      if (fault === "spike") value *= 1 + (rng.next() < 0.5 ? -1 : 1) * (0.2 + 0.3 * rng.next());
      else if (fault === "unit") value *= 10;
      else if (fault === "dropout") value = 0;
      // A drifting calibration scales whatever the sensor reads (a spike or unit error on top keeps its kind);
      // the reading is labelled a drift from the first one it changes.
      const drift = driftFactor(ctx.plan, index, period, offset / ctx.periodSeconds);
      if (drift !== 1) {
        value *= drift;
        fault ??= "drift";
      }
      if (stuckValue !== undefined && period > stuck!.fromPeriod) {
        value = stuckValue;
        fault = "stuck";
      }
      const staleHit = i === 0 && stale.includes(index);
      items.push({
        label: t.label,
        fault: staleHit ? "staleTimestamp" : fault,
        reading: { dataTimeMs, scale, noise: ratedNoise(ctx.noise, t) },
        record: {
          terminalId: t.terminalId,
          kind: RecordKind.Reading,
          timestamp: staleHit ? windowStart - 7200 : windowStart + offset,
          payload: {
            recordId: `p${period}/${t.label}/r${i}`,
            quantity: "P",
            unit: "MW",
            value: round(value, 3),
            dataTime: new Date(dataTimeMs).toISOString(),
          },
        },
      });
    }
    if (t.role === "meter") items.push(transaction(ctx, t, period, windowStart, rng));
    const badKey = (ctx.plan.badSignature.get(period) ?? []).includes(index);
    const key = badKey ? new SigningKey(seedKey(ctx.seed, `wrong-key:${period}:${t.label}`)) : ctx.keys[index];
    const pkg = signPackage(
      key,
      ctx.chainId,
      t.terminalId,
      windowStart,
      items.map((r) => r.record),
    );
    if (badKey) for (const item of items) item.fault = "badSignature";
    out.push({ pkg, terminal: index, label: t.label, items });
    if ((ctx.plan.replay.get(period) ?? []).includes(index)) {
      out.push({ pkg, terminal: index, label: t.label, items: items.map((item) => ({ ...item, fault: "replay" })) });
    }
  });

  for (let k = 0; k < (ctx.plan.unknownTerminal.get(period) ?? 0); k++)
    out.push(unknownPackage(ctx, period, windowStart, k));
  return out;
}

/** A meter's purchase for the 15-minute frame: its energy at the market price, from a generator bus. */
function transaction(
  ctx: GenerationContext,
  t: ScenarioTerminal,
  period: number,
  windowStart: number,
  rng: Rng,
): GeneratedRecord {
  const dataPeriod = ctx.dataPeriodSeconds ?? ctx.periodSeconds;
  const dataTimeMs = ctx.dataStartMs + period * dataPeriod * 1000;
  const mw = cleanValue(ctx, t, dataTimeMs, rng);
  const kwh = round((mw * 1000 * dataPeriod) / 3600, 3);
  const price = priceAt(ctx.prices, ctx.marketStartMs + period * dataPeriod * 1000);
  const seller = ctx.sellers[(t.bus + period) % ctx.sellers.length];
  return {
    label: t.label,
    record: {
      terminalId: t.terminalId,
      kind: RecordKind.PowerTransaction,
      timestamp: windowStart,
      payload: {
        recordId: `p${period}/${t.label}/tx`,
        seller: seller.terminalId,
        buyer: t.terminalId,
        kwh,
        priceEurMwh: price,
        amountEur: round((kwh / 1000) * price, 2),
        frameStart: new Date(windowStart * 1000).toISOString(),
        frameEnd: new Date((windowStart + ctx.periodSeconds) * 1000).toISOString(),
      },
    },
  };
}

/** A package from a terminal that was never registered (e.g. a rogue or misconfigured meter). */
function unknownPackage(ctx: GenerationContext, period: number, windowStart: number, k: number): GeneratedPackage {
  const label = `${ctx.caseName}.bus${9000 + k}.meter`;
  const terminalId = `0x${seedKey(ctx.seed, label).slice(2)}`;
  const record: GridRecord = {
    terminalId,
    kind: RecordKind.Reading,
    timestamp: windowStart,
    payload: { recordId: `p${period}/${label}/r0`, quantity: "P", unit: "MW", value: 42 },
  };
  const pkg = signPackage(new SigningKey(seedKey(ctx.seed, `${label}:key`)), ctx.chainId, terminalId, windowStart, [
    record,
  ]);
  return { pkg, terminal: -1, label, items: [{ record, label, fault: "unknownTerminal" }] };
}

/** A deterministic 32-byte secret from the run seed and a label (for injected faults only). */
function seedKey(seed: number, label: string): string {
  const rng = createRng(seed).fork(label);
  let hex = "0x";
  for (let i = 0; i < 8; i++)
    hex += Math.floor(rng.next() * 2 ** 32)
      .toString(16)
      .padStart(8, "0");
  return hex;
}
