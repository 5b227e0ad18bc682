/**
 * A records file anchored again: its proofs file from the earlier run tells how it was anchored, so a re-run with
 * other flags is refused with the flags that differ, instead of anchoring the same data a second time (another
 * --kind or --terminal changes the root) or reporting "already anchored" under another --type.
 */
import canonicalize from "canonicalize";
import type { GridRecord } from "../merkle";

const KIND_NAMES = ["generic", "reading", "transaction", "event"] as const;

/** What the earlier run left: its records (from the proofs file) and, when found on-chain, its batch header. */
export interface PreviousRun {
  out: string;
  root: string;
  batchId?: number;
  records: readonly GridRecord[];
  /** The anchored header's fields, when the batch is on this chain. */
  anchored?: { terminalId: string; dataType: number; sequence: bigint };
}

export interface ThisRun {
  file: string;
  root: string;
  records: readonly GridRecord[];
  terminalId: string;
  dataType: number;
  sequence?: bigint;
}

/** The records' data without what the flags decide (terminal and kind), to recognise the same file. */
const content = (records: readonly GridRecord[]) =>
  canonicalize(records.map((r) => [r.timestamp, r.payload])) as string;

function kindsOf(records: readonly GridRecord[]): string {
  const kinds = [...new Set(records.map((r) => KIND_NAMES[r.kind] ?? String(r.kind)))];
  return kinds.join("/");
}

/** `--flag (was → now)` for every flag whose value differs from the earlier run. */
export function flagDifferences(previous: PreviousRun, current: ThisRun): string[] {
  const diffs: string[] = [];
  const stream = previous.anchored?.terminalId ?? previous.records[0]?.terminalId;
  if (stream !== undefined && stream.toLowerCase() !== current.terminalId.toLowerCase())
    diffs.push(`--terminal (was ${stream}, now ${current.terminalId})`);
  const [was, now] = [kindsOf(previous.records), kindsOf(current.records)];
  if (was !== now) diffs.push(`--kind (was ${was}, now ${now})`);
  if (previous.anchored && previous.anchored.dataType !== current.dataType)
    diffs.push(`--type (was ${previous.anchored.dataType}, now ${current.dataType})`);
  if (previous.anchored && current.sequence !== undefined && previous.anchored.sequence !== current.sequence)
    diffs.push(`--sequence (was ${previous.anchored.sequence}, now ${current.sequence})`);
  return diffs;
}

/**
 * Why this run must not go ahead given the earlier run's proofs at `previous.out`, or undefined when it may (the
 * same batch again, which is then reported as already anchored). Refused: the same records under other flags, and
 * other records whose proofs would overwrite the earlier batch's proofs.
 */
export function rerunRefusal(previous: PreviousRun, current: ThisRun): string | undefined {
  const batch = previous.batchId === undefined ? `root ${previous.root}` : `batch ${previous.batchId}`;
  const sameRecords = content(previous.records) === content(current.records);
  if (sameRecords) {
    const diffs = flagDifferences(previous, current);
    if (diffs.length === 0) return undefined;
    return `${current.file} was already anchored as ${batch} (proofs: ${previous.out}) with other flags: ${diffs.join(", ")}. Re-run with the earlier flags, or give another --out to anchor these records again on purpose`;
  }
  if (previous.root.toLowerCase() === current.root.toLowerCase()) return undefined;
  return `${previous.out} holds the proofs of ${batch}, anchored from other records; writing this batch's proofs there would lose them: give another --out`;
}
