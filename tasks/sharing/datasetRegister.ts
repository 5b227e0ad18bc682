import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedCore, connectDeployedGovernance } from "../common/chain";
import { accountSigner } from "../common/accounts";
import type { DatasetSpec } from "../../src/sharing/datasets.node";
import { load } from "../common/lazy";

export interface DatasetRegisterOptions {
  batches?: string;
  terminal?: string;
  from?: string;
  to?: string;
  uri: string;
  name?: string;
  account: number;
}

/** Registers a dataset of explicit batches or of a terminal stream and time range; optionally names it. */
export async function runDatasetRegister(hre: HardhatRuntimeEnvironment, opts: DatasetRegisterOptions) {
  const { registerDataset, parseTime } = load.sharing.datasets();
  const { toTerminalId } = load.chain.ids();
  const ctx = await chainContext(hre);
  let spec: DatasetSpec;
  if (opts.batches !== undefined) {
    if (opts.terminal !== undefined) throw new Error("give either --batches or --terminal with --from/--to, not both");
    // The dataset stores roots: ids are resolved here, once, so a later reorg cannot repoint the dataset.
    const { acquisition } = await connectDeployedCore(hre, ctx);
    const { resolveBatchRoot } = load.chain.streams();
    const refs = parseBatchList(opts.batches);
    const merkleRoots: string[] = [];
    for (const ref of refs) merkleRoots.push(await resolveBatchRoot(acquisition, ref));
    spec = { merkleRoots };
  } else if (opts.terminal !== undefined && opts.from !== undefined && opts.to !== undefined) {
    spec = { terminalId: toTerminalId(opts.terminal), fromTime: parseTime(opts.from), toTime: parseTime(opts.to) };
  } else {
    throw new Error("give --batches <roots or ids>, or --terminal with --from and --to");
  }
  const gov = await connectDeployedGovernance(hre, ctx, await accountSigner(hre, opts.account));
  const { datasetId, txHash } = await registerDataset(gov.sharing, spec, opts.uri);
  console.log(`Registered dataset ${datasetId} (tx ${txHash})`);
  if (opts.name) {
    const { registerName } = load.naming.names();
    const named = await registerName(gov.names, opts.name, { target: { kind: "Dataset", datasetId } });
    console.log(`Named it ${opts.name} (node ${named.node})`);
  }
  return datasetId;
}

function parseBatchList(list: string): string[] {
  return list.split(",").map((s) => {
    const t = s.trim();
    if (!/^([1-9]\d*|0x[0-9a-fA-F]{64})$/.test(t))
      throw new Error(`--batches must list 0x Merkle roots or batch ids, comma-separated; got "${s}"`);
    return t;
  });
}

gridTask(
  "dataset:register",
  "Register a dataset (batches, or a terminal stream and time range) as a certified provider",
  (t) =>
    t
      .addOptionalParam("batches", "Comma-separated anchored batches: 0x Merkle roots, or ids (stored as their roots)")
      .addOptionalParam("terminal", "Stream terminal (label or 0x id), with --from and --to")
      .addOptionalParam("from", "Range start (ISO 8601 UTC or unix seconds, inclusive)")
      .addOptionalParam("to", "Range end (ISO 8601 UTC or unix seconds, exclusive)")
      .addOptionalParam("uri", "Metadata URI of the dataset", "")
      .addOptionalParam("name", "Also register this name pointing at the dataset (e.g. gz.ieee39.day-2026-01-01)")
      .addOptionalParam("account", "Index of the provider's account", 0, types.int)
      .setAction(async (args: DatasetRegisterOptions, hre) => {
        await runDatasetRegister(hre, args);
      }),
);
