import { FastMerkleTree, LEAF_TYPES, rootOfLeafHashes } from "../../merkle";
import { builtBatch, type JournalBatch, type JournalPackage, type JournalPeriod, type JournalRecord } from "../journal";
import { packageHead } from "../packages";
import type { CheckedRecord } from "./check";
import type { PipelineContext } from "./context";
import { DataType } from "../../chain/types";

/** Batches of a period: readings and power transactions, each its own data type (TY). */
export const BATCH_TYPES = [
  { suffix: "readings", kind: 1, warpType: DataType.Reading, backfillType: 11 },
  { suffix: "transactions", kind: 2, warpType: DataType.Transaction, backfillType: 12 },
] as const;

const pad = (n: number) => String(n).padStart(4, "0");
/** `p0007-readings`, or `p0007-z012-readings` for zone 12 of a zoned run. */
export const batchKeyOf = (period: number, suffix: string, zone: number | null = null) =>
  zone === null ? `p${pad(period)}-${suffix}` : `p${pad(period)}-z${String(zone).padStart(3, "0")}-${suffix}`;

/** One batch of a period before its tree is built: the accepted records of one type and their leaf hashes. */
export interface BatchLeaves {
  type: (typeof BATCH_TYPES)[number];
  /** The zone whose generator signs the batch (null: one generator for the whole grid). */
  zone: number | null;
  /** Indices into the period's records, in leaf order. */
  members: number[];
  /** The members' leaf hashes, 32 bytes each, in the same order. */
  hashes: Uint8Array;
}

/**
 * The period's batches: per batch type, the accepted records of that kind; with `zoneOf` (a zoned run), per
 * zone and batch type, the records of that zone's terminals, zones in increasing order.
 */
export function batchLeaves(records: readonly CheckedRecord[], zoneOf?: (terminalId: string) => number): BatchLeaves[] {
  const groups = new Map<string, { type: (typeof BATCH_TYPES)[number]; zone: number | null; members: number[] }>();
  records.forEach((r, i) => {
    if (!r.accepted) return;
    const type = BATCH_TYPES.find((t) => t.kind === r.row.kind);
    if (!type) return;
    const zone = zoneOf ? zoneOf(r.row.terminalId) : null;
    const key = `${zone}/${type.kind}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { type, zone, members: [] }));
    group.members.push(i);
  });
  return [...groups.values()]
    .sort((a, b) => (a.zone ?? 0) - (b.zone ?? 0) || a.type.kind - b.type.kind)
    .map(({ type, zone, members }) => {
      const hashes = new Uint8Array(32 * members.length);
      members.forEach((i, j) => hashes.set(records[i].leafHash, 32 * j));
      return { type, zone, members, hashes };
    });
}

/** The period's batch trees (indices into `records` per batch type). */
export function buildBatchTrees(records: readonly CheckedRecord[], zoneOf?: (terminalId: string) => number) {
  return batchLeaves(records, zoneOf).map(({ type, zone, members, hashes }) => ({
    type,
    zone,
    members,
    tree: FastMerkleTree.fromLeafHashes(
      hashes,
      members.map((i) => records[i].leaf),
      LEAF_TYPES,
    ),
  }));
}

/** Who builds and signs a period's blocks, and the routing model's view of the period (for the report). */
export interface Election {
  generatorBus: number;
  terminalId: string;
  /** A zoned run: each zone's generator, which signs that zone's batches (the fields above are zone 0's). */
  zones?: { zone: number; generatorBus: number; terminalId: string }[];
  /** Compact routing of the period (JSON), or "{}" where no network model runs. */
  routing: string;
}

/** The generator that signs a batch of `zone` (null: the period's one generator). */
function signerOf(election: Election, zone: number | null, period: number) {
  if (zone === null) return election;
  const z = election.zones?.find((x) => x.zone === zone);
  if (!z) throw new Error(`period ${period}: the election names no generator for zone ${zone}`);
  return z;
}

/** A period ready for the journal: its head (generator, routing, T_build), its records and its batches. */
export interface PreparedPeriod {
  head: JournalPeriod;
  rows: JournalRecord[];
  batches: Omit<JournalBatch, "updatedAt">[];
  /** The accepted records' signed packages, each once, and each accepted record's place in its package. */
  packages: JournalPackage[];
  links: { recordId: string; signature: string; index: number }[];
}

/**
 * Stage "batch": the period's journal rows given its batches' roots (in `batchLeaves` order), the generator and
 * T_build (the time the trees took plus one header signature). The rows are the checked records' own (a busy
 * period has tens of thousands; copying them cost up to a second).
 */
export function preparePeriod(
  ctx: Pick<PipelineContext, "chain">,
  period: number,
  records: readonly CheckedRecord[],
  built: { leaves: readonly BatchLeaves[]; roots: readonly string[]; tBuildMs: number },
  election: Election,
): PreparedPeriod {
  const rows = records.map((r) => r.row);
  const batches = built.leaves.map(({ type, zone, members }, b): Omit<JournalBatch, "updatedAt"> => {
    const batchKey = batchKeyOf(period, type.suffix, zone);
    const signer = signerOf(election, zone, period);
    for (const i of members) rows[i].batchKey = batchKey;
    return builtBatch({
      batchKey,
      period,
      dataType: ctx.chain.dataTypes[type.suffix],
      root: built.roots[b],
      recordCount: members.length,
      generatorBus: signer.generatorBus,
      terminalId: signer.terminalId,
    });
  });
  const head: JournalPeriod = {
    period,
    state: "validated",
    generatorBus: election.generatorBus,
    routing: election.routing,
    tBuildMs: built.tBuildMs,
  };
  return { head, rows, batches, ...acceptedPackages(records, rows) };
}

/**
 * Stage "batch", in-process: builds the period's trees, asks `elect` for the generator (given T_build), and stores
 * records, batches and routing in one journal transaction. `commit` runs inside that transaction.
 */
export function storePeriod(
  ctx: Pick<PipelineContext, "journal" | "chain" | "zoneOf">,
  period: number,
  records: readonly CheckedRecord[],
  elect: (tBuildMs: number) => Election,
  signMs: number,
  commit?: () => void,
): void {
  const leaves = batchLeaves(records, ctx.zoneOf);
  const t0 = performance.now();
  const roots = leaves.map((b) => rootOfLeafHashes(b.hashes));
  const tBuildMs = performance.now() - t0 + signMs;
  const prepared = preparePeriod(ctx, period, records, { leaves, roots, tBuildMs }, elect(tBuildMs));
  ctx.journal.recordPeriod(prepared.head, prepared.rows, prepared.batches, commit, prepared);
}

/** The signed packages of the accepted records, each once, and every accepted record's place in its package. */
function acceptedPackages(records: readonly CheckedRecord[], rows: readonly JournalRecord[]) {
  const packages = new Map<string, JournalPackage>();
  const links: { recordId: string; signature: string; index: number }[] = [];
  // Each package object's signature, lower-cased once: per record it was a new 132-character string to hash
  // (tens of ms a gateway period). A package sent twice is two objects with one signature: kept once.
  const signatureOf = new Map<object, string>();
  records.forEach((r, i) => {
    if (!r.accepted) return;
    const { pkg, index } = r.source;
    let signature = signatureOf.get(pkg);
    if (signature === undefined) {
      signatureOf.set(pkg, (signature = pkg.signature.toLowerCase()));
      if (!packages.has(signature))
        packages.set(signature, { ...packageHead(pkg), signature, leafHashes: pkg.leafHashes });
    }
    links.push({ recordId: rows[i].recordId, signature, index });
  });
  return { packages: [...packages.values()], links };
}
