import { yieldToIo } from "../../common/turns";
import type { GridCase } from "../../grid/case";
import type { RecordLeaf } from "../../merkle";
import type { ValidatorModel } from "../../validation/model";
import { PeerConsensus } from "../../validation/peers";
import { DEFAULT_REFIT, type RefitOptions, type RefitRunner } from "../../validation/refit";
import type { LoadSeries } from "../../validation/series";
import { ValidateStage, type CheckedReading, type StageReading } from "../../validation/stage";
import { decimalStep, type FlagRule } from "../../validation/validator";
import { ingestPackage, type IngestContext, type TerminalDirectory } from "../ingest";
import type { JournalRecord } from "../journal";
import type { TerminalPackage } from "../packages";
import { checkTransaction } from "../transactions";

/** A package as any source hands it to the pipeline: the simulation, MQTT or HTTP. */
export interface IncomingPackage {
  pkg: TerminalPackage;
  /** The sending terminal's label as known to the source (its id when unknown). */
  label: string;
  /** Ground truth per record: the fault the simulation injected, if any (report scoring only). */
  faults?: readonly (string | undefined)[];
}

/** What the validator knows of a terminal's sensor: its scale into load-series terms and rated relative noise. */
export interface ReadingProfile {
  scale: number;
  noise: number;
}

/** A record's fate after the door checks and validation. */
export interface CheckedRecord {
  /** The journal row; the batch stage fills in `batchKey`. */
  row: JournalRecord;
  leaf: RecordLeaf;
  leafHash: Uint8Array;
  accepted: boolean;
  /**
   * A reading that passed the door and awaits the validate stage (`validateRecords`); set to undefined once
   * validated (always present, so every record keeps one object shape).
   */
  reading: StageReading | undefined;
  /** The signed package the record came in and its index there (what its proof's signature covers). */
  source: { pkg: TerminalPackage; index: number };
}

/** The verdict the validate stage would have given a reading without the peer check (not journaled). */
export interface ShadowVerdict {
  ok: boolean;
  flaggedBy?: FlagRule;
}

/** What the check stage needs besides the packages. */
export interface CheckContext {
  ingest: IngestContext;
  /** The validate stage: one per run (pipeline) or process (gateway), fed every period in time order. */
  stage: ValidateStage;
  directory: TerminalDirectory;
  /** Per terminal id (lower case); readings of a terminal without a profile pass on door checks alone. */
  profiles: ReadonlyMap<string, ReadingProfile>;
  period: number;
  /** Whether a record id is already in the journal (from an earlier period); such ids get a `~copyN` suffix. */
  idTaken?: (recordId: string) => boolean;
  /** Record ids used so far in the period: pass the same map when a period's packages are checked in slices. */
  ids?: Map<string, number>;
  /** Filled with each validated reading's verdict without the peer check, by record id (stages with peers). */
  shadow?: Map<string, ShadowVerdict>;
}

/** The instant a reading describes: its payload's `dataTime` when given, else its timestamp. */
export function readingTimeMs(payload: Record<string, unknown>, timestamp: number): number {
  const t = typeof payload.dataTime === "string" ? Date.parse(payload.dataTime) : NaN;
  return Number.isFinite(t) ? t : timestamp * 1000;
}

/** What builds a run's or a gateway's validate stage. */
export interface StageSetup {
  model: ValidatorModel;
  series: LoadSeries;
  /** The first instant validated: lags from it on come from the validated readings, not the file. */
  startMs: number;
  /** The IEEE case whose branches give each terminal its peers (same bus and one hop). */
  grid: Pick<GridCase, "branches">;
  /** `samplesPerPeriod` 0: the terminal takes no readings (it is nobody's peer). */
  terminals: readonly { terminalId: string; bus: number; samplesPerPeriod?: number }[];
  /** Default true; false checks each reading on its own series only. */
  peers?: boolean;
  /** Default DEFAULT_REFIT (weekly on the trailing year of the validated history). */
  refit?: RefitOptions;
  /** Where the refits' fits run (default in-process; the gateway uses a worker thread, `RefitThread`). */
  refitRunner?: RefitRunner;
}

/** The validate stage of the pipeline and the gateway: peer consensus over the case's neighbourhoods, weekly refit. */
export function createValidateStage(setup: StageSetup): ValidateStage {
  return new ValidateStage({
    model: setup.model,
    series: setup.series,
    startMs: setup.startMs,
    validator: {},
    peers:
      setup.peers === false
        ? null
        : PeerConsensus.fromCase(
            setup.grid,
            setup.terminals.map((t) => ({
              terminalId: t.terminalId,
              bus: t.bus,
              reads: t.samplesPerPeriod === undefined || t.samplesPerPeriod > 0,
            })),
          ),
    refit: setup.refit ?? DEFAULT_REFIT,
    ...(setup.refitRunner ? { refitRunner: setup.refitRunner } : {}),
  });
}

/**
 * Stage "ingest and check" then "validate" over one period's packages: `admitPackages` then `validateRecords`.
 * Record ids repeated within the period get a `~copyN` suffix so every input record keeps its own journal row.
 */
export function checkPackages(packages: readonly IncomingPackage[], ctx: CheckContext): CheckedRecord[] {
  return validateRecords(admitPackages(packages, ctx), ctx);
}

/**
 * Door checks (registry, signature, window, replay) and content checks of transactions. Readings that pass the
 * door come back pending, with `reading` set, for `validateRecords` (which needs all of a period's readings:
 * the peer check compares the terminals' readings of each instant).
 */
export function admitPackages(packages: readonly IncomingPackage[], ctx: CheckContext): CheckedRecord[] {
  const out: CheckedRecord[] = [];
  const ids = ctx.ids ?? new Map<string, number>();
  for (const incoming of packages) {
    const { pkg } = incoming;
    const verdicts = ingestPackage(pkg, ctx.ingest);
    pkg.records.forEach((r, i) => {
      const payload = r.payload as Record<string, unknown>;
      const baseId = String(payload.recordId ?? `${verdicts[i].leafHash}`);
      let occurrence = (ids.get(baseId) ?? 0) + 1;
      while (ctx.idTaken?.(occurrence === 1 ? baseId : `${baseId}~copy${occurrence}`)) occurrence++;
      ids.set(baseId, occurrence);
      const v = verdicts[i];
      let reason: string | null = v.ok ? null : v.reason;
      let detail: string | null = v.ok ? null : v.detail;
      let reading: StageReading | undefined;
      const profile = ctx.profiles.get(r.terminalId.toLowerCase());
      if (v.ok && r.kind === 1 && profile) {
        reading = {
          source: r.terminalId,
          timestamp: readingTimeMs(payload, r.timestamp),
          value: Number(payload.value) / profile.scale,
          noise: profile.noise,
          resolution: decimalStep(Number(payload.value)) / profile.scale,
        };
      } else if (v.ok && r.kind === 2) {
        const problem = checkTransaction(r, ctx.directory, ctx.ingest.windowStart);
        if (problem) ({ reason, detail } = problem);
      }
      out.push({
        row: {
          recordId: occurrence === 1 ? baseId : `${baseId}~copy${occurrence}`,
          period: ctx.period,
          terminalId: r.terminalId,
          label: incoming.label,
          kind: r.kind,
          timestamp: r.timestamp,
          leafHash: v.leafHash,
          status: reason === null ? "pending" : "quarantined",
          reason,
          detail,
          payload: JSON.stringify(r.payload),
          actualNorm: reading ? reading.value : null,
          forecastNorm: null,
          fault: incoming.faults?.[i] ?? null,
          batchKey: null,
        },
        leaf: pkg.leaves[i],
        leafHash: pkg.leafHashes.subarray(32 * i, 32 * i + 32),
        accepted: reason === null,
        reading,
        source: { pkg, index: i },
      });
    });
  }
  return out;
}

/**
 * The validate stage over a period's admitted records: the readings awaiting validation go through the stage
 * (grouped by instant, peer check first) and are quarantined with the reason and the rule that flagged them.
 * Returns the same array.
 */
export function validateRecords(records: CheckedRecord[], ctx: CheckContext): CheckedRecord[] {
  const pending = records.filter((r) => r.reading !== undefined);
  const checked = ctx.stage.checkReadings(pending.map((r) => r.reading!));
  pending.forEach((r, i) => applyVerdict(r, checked[i], ctx.shadow));
  return records;
}

/**
 * Readings per slice when validation yields to the event loop (the gateway): 10-20 ms of work on a free core at
 * 1 Hz cadence, where each instant costs model forecasts. 4,000 held the gateway's event loop 250-400 ms per slice
 * (and acknowledgements with it) on a loaded machine.
 */
export const VALIDATE_SLICE_READINGS = 500;

/**
 * `validateRecords` for a process that must stay responsive (the gateway): first the rolling refit when one is
 * due before the period's first instant, then the instants in slices of about `slice` readings with a turn of
 * the event loop between them. The verdicts are the same as one pass.
 */
export async function validateRecordsAsync(
  records: CheckedRecord[],
  ctx: CheckContext,
  slice = VALIDATE_SLICE_READINGS,
): Promise<CheckedRecord[]> {
  const pending = records.filter((r) => r.reading !== undefined);
  pending.sort((a, b) => a.reading!.timestamp - b.reading!.timestamp);
  if (pending.length && pending[0].reading!.timestamp > ctx.stage.lastInstant)
    await ctx.stage.refitIfDue(pending[0].reading!.timestamp);
  for (let i = 0; i < pending.length;) {
    if (i > 0) await yieldToIo();
    // Whole instants only: the peer check needs every reading of an instant at once.
    let j = Math.min(i + slice, pending.length);
    while (j < pending.length && pending[j].reading!.timestamp === pending[j - 1].reading!.timestamp) j++;
    const part = pending.slice(i, j);
    const checked = ctx.stage.checkReadings(part.map((r) => r.reading!));
    part.forEach((r, k) => applyVerdict(r, checked[k], ctx.shadow));
    i = j;
  }
  return records;
}

function applyVerdict(r: CheckedRecord, c: CheckedReading, shadow: Map<string, ShadowVerdict> | undefined): void {
  const { result } = c;
  r.row.forecastNorm = Number.isFinite(result.forecast) ? result.forecast : null;
  if (!result.ok) {
    const raw = (JSON.parse(r.row.payload) as { value?: unknown }).value;
    r.row.status = "quarantined";
    r.row.reason = result.reason ?? "VALIDATION_FAILED";
    r.row.detail =
      `flagged by ${result.flaggedBy ?? "validation"} (${(result.reasons ?? [r.row.reason]).join(", ")}): ` +
      `reading ${String(raw)} MW is ${c.reading.value.toFixed(0)} MW in load-series terms, forecast ${result.forecast.toFixed(0)} MW` +
      (c.peer && Number.isFinite(c.peer.deviation)
        ? `, ${(100 * c.peer.deviation).toFixed(1)}% off its ${c.peer.peers} peers' median`
        : "");
    r.accepted = false;
  }
  if (shadow && c.withoutPeer)
    shadow.set(r.row.recordId, {
      ok: c.withoutPeer.ok,
      ...(c.withoutPeer.flaggedBy ? { flaggedBy: c.withoutPeer.flaggedBy } : {}),
    });
  // Not `delete`: that turned each of a period's records into a slow dictionary-mode object for the stages after.
  r.reading = undefined;
}

/**
 * Rebuilds the validate stage's state after a restart: the journal's readings that reached validation (door
 * passed), period by period in the order they were first checked, go through the stage again, with the refits
 * due on the way. The stage is deterministic, so its history, per-terminal state and peer state come out as
 * before the crash, and so do the verdicts. A verdict that differs from the journal's means the state did not
 * (another model, or a journal written by another version): an error naming the first such record, or, with
 * `onMismatch` (the gateway, which must start), that message handed over and the replayed state kept. Fills
 * `shadow` like the first pass did.
 */
export async function replayJournal(
  stage: ValidateStage,
  records: readonly Pick<
    JournalRecord,
    "recordId" | "period" | "terminalId" | "kind" | "timestamp" | "payload" | "actualNorm" | "reason"
  >[],
  profiles: ReadonlyMap<string, ReadingProfile>,
  shadow?: Map<string, ShadowVerdict>,
  onMismatch?: (message: string) => void,
): Promise<number> {
  const byPeriod = new Map<number, (typeof records)[number][]>();
  for (const r of records) {
    if (r.kind !== 1 || r.actualNorm === null) continue;
    const list = byPeriod.get(r.period) ?? [];
    list.push(r);
    byPeriod.set(r.period, list);
  }
  let replayed = 0;
  let differ = 0;
  let first = "";
  for (const period of [...byPeriod.keys()].sort((a, b) => a - b)) {
    const rows = byPeriod.get(period)!;
    const readings = rows.map((r): StageReading => {
      const payload = JSON.parse(r.payload) as Record<string, unknown>;
      const profile = profiles.get(r.terminalId.toLowerCase());
      return {
        source: r.terminalId,
        timestamp: readingTimeMs(payload, r.timestamp),
        value: r.actualNorm!,
        noise: profile?.noise,
        ...(profile ? { resolution: decimalStep(Number(payload.value)) / profile.scale } : {}),
      };
    });
    const earliest = readings.reduce((m, x) => Math.min(m, x.timestamp), Infinity);
    if (earliest > stage.lastInstant) await stage.refitIfDue(earliest);
    stage.checkReadings(readings).forEach((c, i) => {
      const r = rows[i];
      const journaled = r.reason === null;
      if (c.result.ok !== journaled && differ++ === 0)
        first = `record ${r.recordId} (period ${period}) ${
          c.result.ok ? "accepted" : `quarantined (${c.result.reason})`
        }, the journal has it ${journaled ? "accepted" : `quarantined (${r.reason})`}`;
      if (shadow && c.withoutPeer)
        shadow.set(r.recordId, {
          ok: c.withoutPeer.ok,
          ...(c.withoutPeer.flaggedBy ? { flaggedBy: c.withoutPeer.flaggedBy } : {}),
        });
    });
    replayed += rows.length;
  }
  if (differ > 0) {
    const message = `resume: replaying the validate stage gives ${first} (${differ} of ${replayed} verdicts differ): the validator state cannot be rebuilt as it was (was the model or the code changed?)`;
    if (!onMismatch) throw new Error(message);
    onMismatch(message);
  }
  return replayed;
}
