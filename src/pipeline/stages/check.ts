import type { RecordLeaf } from "../../merkle";
import type { StreamingValidator } from "../../validation/validator";
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
  row: Omit<JournalRecord, "batchKey">;
  leaf: RecordLeaf;
  leafHash: Uint8Array;
  accepted: boolean;
  /** The signed package the record came in and its index there (what its proof's signature covers). */
  source: { pkg: TerminalPackage; index: number };
}

/** What the check stage needs besides the packages. */
export interface CheckContext {
  ingest: IngestContext;
  validator: StreamingValidator;
  directory: TerminalDirectory;
  /** Per terminal id (lower case); readings of a terminal without a profile pass on door checks alone. */
  profiles: ReadonlyMap<string, ReadingProfile>;
  period: number;
  /** Whether a record id is already in the journal (from an earlier period); such ids get a `~copyN` suffix. */
  idTaken?: (recordId: string) => boolean;
  /** Record ids used so far in the period: pass the same map when a period's packages are checked in slices. */
  ids?: Map<string, number>;
}

/** The instant a reading describes: its payload's `dataTime` when given, else its timestamp. */
export function readingTimeMs(payload: Record<string, unknown>, timestamp: number): number {
  const t = typeof payload.dataTime === "string" ? Date.parse(payload.dataTime) : NaN;
  return Number.isFinite(t) ? t : timestamp * 1000;
}

/**
 * Stage "ingest and check" then "validate": door checks (registry, signature, window, replay), then content
 * checks (SVR streaming validator for readings, transaction rules). Record ids repeated within the period get a
 * `~copyN` suffix so every input record keeps its own journal row.
 */
export function checkPackages(packages: readonly IncomingPackage[], ctx: CheckContext): CheckedRecord[] {
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
      let actualNorm: number | null = null;
      let forecastNorm: number | null = null;
      const profile = ctx.profiles.get(r.terminalId.toLowerCase());
      if (v.ok && r.kind === 1 && profile) {
        const value = Number(payload.value) / profile.scale;
        const check = ctx.validator.check({
          timestamp: readingTimeMs(payload, r.timestamp),
          value,
          source: r.terminalId,
          noise: profile.noise,
        });
        actualNorm = value;
        forecastNorm = Number.isFinite(check.forecast) ? check.forecast : null;
        if (!check.ok) {
          reason = check.reason ?? "VALIDATION_FAILED";
          detail = `reading ${String(payload.value)} MW is ${value.toFixed(0)} MW in load-series terms, forecast ${check.forecast.toFixed(0)} MW`;
        }
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
          actualNorm,
          forecastNorm,
          fault: incoming.faults?.[i] ?? null,
        },
        leaf: pkg.leaves[i],
        leafHash: pkg.leafHashes.subarray(32 * i, 32 * i + 32),
        accepted: reason === null,
        source: { pkg, index: i },
      });
    });
  }
  return out;
}
