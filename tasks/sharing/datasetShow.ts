import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedGovernance } from "../common/chain";
import { load } from "../common/lazy";

export interface DatasetShowOptions {
  dataset: string;
  json: boolean;
}

export async function runDatasetShow(hre: HardhatRuntimeEnvironment, opts: DatasetShowOptions) {
  const { readDataset, iso } = load.sharing.datasets();
  const { datasetIdFrom } = load.naming.names();
  const gov = await connectDeployedGovernance(hre, await chainContext(hre));
  const d = await readDataset(gov.sharing, await datasetIdFrom(gov.names, opts.dataset));
  if (opts.json) {
    console.log(JSON.stringify(d, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  } else {
    const what =
      d.kind === "Batches"
        ? `batches ${d.merkleRoots.join(", ")}`
        : `stream ${d.terminalId} over [${iso(d.fromTime)}, ${iso(d.toTime)})`;
    console.log(`dataset ${d.id}: ${what}; provider ${d.provider}; metadata ${d.metadataURI || "(none)"}`);
  }
  return d;
}

gridTask("dataset:show", "Show a registered dataset", (t) =>
  t
    .addParam("dataset", "Dataset id or a name pointing at it")
    .addFlag("json", "Print JSON")
    .setAction(async (args: DatasetShowOptions, hre) => {
      await runDatasetShow(hre, args);
    }),
);
