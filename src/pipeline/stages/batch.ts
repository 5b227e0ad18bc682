import { FastMerkleTree, LEAF_TYPES } from "../../merkle";
import type { JournalBatch, JournalPackage, JournalRecord } from "../journal";
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

/** The period's batch trees: per batch type, the accepted records of that kind (indices into `records`). */
export function buildBatchTrees(records: readonly CheckedRecord[]) {
  return BATCH_TYPES.flatMap((type) => {
    const members = records.flatMap((r, i) => (r.accepted && r.row.kind === type.kind ? [i] : []));
    if (members.length === 0) return [];
    const hashes = new Uint8Array(32 * members.length);
    members.forEach((i, j) => hashes.set(records[i].leafHash, 32 * j));
    const tree = FastMerkleTree.fromLeafHashes(
      hashes,
      members.map((i) => records[i].leaf),
      LEAF_TYPES,
    );
    return [{ type, members, tree }];
  });
}

/** Who builds and signs a period's blocks, and the routing model's view of the period (for the report). */
export interface Election {
  generatorBus: number;
  terminalId: string;
  /** Compact routing of the period (JSON), or "{}" where no network model runs. */
  routing: string;
}

/**
 * Stage "batch": builds the period's trees, asks `elect` for the generator (given T_build, the time the trees
 * took plus one header signature), and stores records, batches and routing in one journal transaction.
 * `commit` runs inside that transaction (the gateway marks the period's inbox packages processed there).
 */
export function storePeriod(
  ctx: Pick<PipelineContext, "journal" | "chain">,
  period: number,
  records: readonly CheckedRecord[],
  elect: (tBuildMs: number) => Election,
  signMs: number,
  commit?: () => void,
): void {
  const batches: Omit<JournalBatch, "updatedAt">[] = [];
  const rows: JournalRecord[] = records.map((r) => ({ ...r.row, batchKey: null }));
  const t0 = performance.now();
  for (const { type: t, members, tree } of buildBatchTrees(records)) {
    const batchKey = batchKeyOf(period, t.suffix);
    for (const i of members) rows[i].batchKey = batchKey;
    batches.push({
      batchKey,
      period,
      dataType: ctx.chain.dataTypes[t.suffix],
      root: tree.root,
      recordCount: members.length,
      generatorBus: -1,
      terminalId: "",
      state: "built",
      header: null,
      signature: null,
      txHash: null,
      nonce: null,
      blockNumber: null,
      batchId: null,
      gasUsed: null,
    });
  }
  const tBuildMs = performance.now() - t0 + signMs;
  const election = elect(tBuildMs);
  for (const b of batches) {
    b.generatorBus = election.generatorBus;
    b.terminalId = election.terminalId;
  }
  const { packages, links } = acceptedPackages(records, rows);
  ctx.journal.recordPeriod(
    { period, state: "validated", generatorBus: election.generatorBus, routing: election.routing, tBuildMs },
    rows,
    batches,
    () => {
      ctx.journal.recordPackages(packages, links);
      commit?.();
    },
  );
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
