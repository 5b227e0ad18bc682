import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedCore } from "../common/chain";
import { load } from "../common/lazy";

export interface ListTaskOptions {
  json: boolean;
}

export async function runListTerminals(hre: HardhatRuntimeEnvironment, opts: ListTaskOptions) {
  const core = await connectDeployedCore(hre, await chainContext(hre));
  const rows = await load.terminals.registration().listTerminals(core);
  if (opts.json) console.log(JSON.stringify(rows, null, 2));
  else if (rows.length === 0) console.log("No terminals registered.");
  else
    console.table(
      rows.map((r) => ({
        id: `${r.terminalId.slice(0, 10)}…`,
        kind: r.kind,
        status: r.status,
        grid: r.grid,
        bus: r.bus,
        signer: r.signer,
        metadata: r.metadataURI,
      })),
    );
  return rows;
}

gridTask("terminal:list", "List registered terminals", (t) =>
  t.addFlag("json", "Print JSON").setAction(async (args: ListTaskOptions, hre) => {
    await runListTerminals(hre, args);
  }),
);
