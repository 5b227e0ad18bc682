import { FastMerkleTree, LEAF_TYPES, rootOfLeafHashes } from "../../merkle";
import type { JournalBatch, JournalPackage, JournalPeriod, JournalRecord } from "../journal";
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
export const batchKeyOf = (period: number, suffix: string) => `p${pad(period)}-${suffix}`;

/** One batch of a period before its tree is built: the accepted records of one type and their leaf hashes. */
export interface BatchLeaves {
  type: (typeof BATCH_TYPES)[number];
  /** Indices into the period's records, in leaf order. */
  members: number[];
  /** The members' leaf hashes, 32 bytes each, in the same order. */
  hashes: Uint8Array;
}

/** The period's batches: per batch type, the accepted records of that kind. */
export function batchLeaves(records: readonly CheckedRecord[]): BatchLeaves[] {
  return BATCH_TYPES.flatMap((type) => {
    const members = records.flatMap((r, i) => (r.accepted && r.row.kind === type.kind ? [i] : []));
    if (members.length === 0) return [];
    const hashes = new Uint8Array(32 * members.length);
    members.forEach((i, j) => hashes.set(records[i].leafHash, 32 * j));
    return [{ type, members, hashes }];
  });
}

/** The period's batch trees (indices into `records` per batch type). */
export function buildBatchTrees(records: readonly CheckedRecord[]) {
  return batchLeaves(records).map(({ type, members, hashes }) => ({
    type,
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
  /** Compact routing of the period (JSON), or "{}" where no network model runs. */
  routing: string;
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
  const batches = built.leaves.map(({ type, members }, b): Omit<JournalBatch, "updatedAt"> => {
    const batchKey = batchKeyOf(period, type.suffix);
    for (const i of members) rows[i].batchKey = batchKey;
    return {
      batchKey,
      period,
      dataType: ctx.chain.dataTypes[type.suffix],
      root: built.roots[b],
      recordCount: members.length,
      generatorBus: election.generatorBus,
      terminalId: election.terminalId,
      state: "built",
      header: null,
      signature: null,
      txHash: null,
      nonce: null,
      blockNumber: null,
      batchId: null,
      gasUsed: null,
    };
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
  ctx: Pick<PipelineContext, "journal" | "chain">,
  period: number,
  records: readonly CheckedRecord[],
  elect: (tBuildMs: number) => Election,
  signMs: number,
  commit?: () => void,
): void {
  const leaves = batchLeaves(records);
  const t0 = performance.now();
  const roots = leaves.map((b) => rootOfLeafHashes(b.hashes));
  const tBuildMs = performance.now() - t0 + signMs;
  const prepared = preparePeriod(ctx, period, records, { leaves, roots, tBuildMs }, elect(tBuildMs));
  ctx.journal.recordPeriod(prepared.head, prepared.rows, prepared.batches, () => {
    ctx.journal.recordPackages(prepared.packages, prepared.links);
    commit?.();
  });
}

/** The signed packages of the accepted records, each once, and every accepted record's place in its package. */
function acceptedPackages(records: readonly CheckedRecord[], rows: readonly JournalRecord[]) {
  const packages = new Map<string, JournalPackage>();
  const links: { recordId: string; signature: string; index: number }[] = [];
  records.forEach((r, i) => {
    if (!r.accepted) return;
    const { pkg, index } = r.source;
    const signature = pkg.signature.toLowerCase();
    if (!packages.has(signature)) {
      const head = packageHead(pkg);
      packages.set(signature, { ...head, signature, leafHashes: pkg.leafHashes });
    }
    links.push({ recordId: rows[i].recordId, signature, index });
  });
  return { packages: [...packages.values()], links };
}
