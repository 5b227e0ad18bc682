import { existsSync } from "node:fs";
import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedCore } from "../common/chain";
import { relayer } from "../common/endpoints";
import { load } from "../common/lazy";
import { dataTypeOption, writableFileOption } from "../common/options";
import type { GridRecord } from "../../src/merkle";
import type { CoreContracts } from "../../src/chain/contracts";

export interface AnchorTaskOptions {
  file: string;
  terminal: string;
  type: number;
  kind?: string;
  keystore?: string;
  mnemonic?: string;
  confirmations: number;
  sequence?: number;
  out?: string;
}

/** Anchors a records file as one batch signed by the terminal's key and writes `<file>.proofs.json`. */
export async function runAnchor(hre: HardhatRuntimeEnvironment, opts: AnchorTaskOptions) {
  const { toTerminalId } = load.chain.ids();
  const { readRecordsFile } = load.records.file();
  const { terminalSigningKey } = load.chain.keys();
  const { anchorRecords } = load.chain.anchor();
  const { buildBatchProofs, writeBatchProofs } = load.chain.proofs();

  // Every flag and the file are checked before the key is opened or the chain is asked.
  const dataType = dataTypeOption(opts.type);
  const out = writableFileOption(opts.out ?? `${opts.file}.proofs.json`);
  const terminalId = toTerminalId(opts.terminal);
  const kind = opts.kind === undefined ? 1 : kindNumber(opts.kind);
  const loaded = readRecordsFile(opts.file, { terminalId, kind, dataType });
  const records = loaded.map((l) => l.record);
  const sequence = opts.sequence === undefined ? undefined : BigInt(opts.sequence);
  const key = await terminalSigningKey(terminalId, {
    keystoreDir: opts.keystore,
    password: process.env.GRID_KEYSTORE_PASSWORD,
    mnemonic: opts.mnemonic,
  });
  const ctx = await chainContext(hre, await relayer(hre, (line) => console.log(line)));
  const core = await connectDeployedCore(hre, ctx);
  await refuseChangedRerun(core, out, { file: opts.file, records, terminalId, dataType, sequence });
  const outcome = await anchorRecords({
    core,
    records,
    terminalId,
    dataType,
    key,
    confirmations: opts.confirmations,
    sequence,
  });
  const batch = {
    batchId: Number(outcome.batchId),
    blockNumber: outcome.blockNumber,
    chainId: Number(outcome.chainId),
    contract: outcome.contract as `0x${string}`,
    ...(outcome.txHash ? { txHash: outcome.txHash as `0x${string}` } : {}),
  };
  writeBatchProofs(out, buildBatchProofs(outcome.tree, records, batch, outcome.packages));
  if (outcome.status === "already-anchored") {
    console.log(
      `Already anchored: this batch (root ${outcome.tree.root}) is batch ${outcome.batchId}, nothing sent. Proofs: ${out}`,
    );
  } else {
    console.log(
      `Anchored ${records.length} records as batch ${outcome.batchId} (root ${outcome.tree.root}) in tx ${outcome.txHash}, block ${outcome.blockNumber}. Proofs: ${out}`,
    );
  }
  return outcome;
}

/**
 * Refuses a re-run whose proofs file (from an earlier run) shows other flags for the same records, or whose
 * proofs would overwrite another batch's (see src/records/rerun.ts).
 */
async function refuseChangedRerun(
  core: CoreContracts,
  out: string,
  run: { file: string; records: GridRecord[]; terminalId: string; dataType: number; sequence?: bigint },
): Promise<void> {
  if (!existsSync(out)) return;
  const { readBatchProofs } = load.chain.proofs();
  const previous = readBatchProofs(out);
  const { FastMerkleTree, initMerkle } = load.merkle.index();
  await initMerkle();
  const root = FastMerkleTree.ofRecords(run.records).root;
  const [anchored] = await load.chain.streams().listBatches(core.acquisition, { merkleRoot: previous.root });
  const refusal = load.records.rerun().rerunRefusal(
    {
      out,
      root: previous.root,
      batchId: anchored === undefined ? previous.batch.batchId : Number(anchored.batchId),
      records: previous.proofs.map((p) => p.record),
      anchored,
    },
    { ...run, root },
  );
  if (refusal !== undefined) throw new Error(refusal);
}

function kindNumber(kind: string): number {
  const names: Record<string, number> = { generic: 0, reading: 1, transaction: 2, event: 3 };
  const n = names[kind.toLowerCase()] ?? Number(kind);
  if (!Number.isInteger(n) || n < 0 || n > 3)
    throw new Error(`--kind must be generic, reading, transaction, event or 0-3, got "${kind}"`);
  return n;
}

gridTask(
  "anchor",
  "Build a Merkle tree over a records file, sign its header with the terminal key and anchor it",
  (t) =>
    t
      .addParam("file", "records.csv or records.json")
      .addParam("terminal", "Stream terminal label or 0x id (signs the header)")
      .addParam("type", "Data type TY", undefined, types.int)
      .addOptionalParam("kind", "Record kind for rows without one: generic | reading | transaction | event", "reading")
      .addOptionalParam(
        "keystore",
        "Folder of encrypted keystores <terminalId>.json (password: GRID_KEYSTORE_PASSWORD)",
      )
      .addOptionalParam("mnemonic", "Mnemonic for development terminal keys (default: the Hardhat/anvil test mnemonic)")
      .addOptionalParam("confirmations", "Blocks to wait for", 1, types.int)
      .addOptionalParam(
        "sequence",
        "The stream sequence this batch must take (refused if replayed or skipped)",
        undefined,
        types.int,
      )
      .addOptionalParam("out", "Proofs file (default: <file>.proofs.json)")
      .setAction(async (args: AnchorTaskOptions, hre) => {
        await runAnchor(hre, args);
      }),
);
