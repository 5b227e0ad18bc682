import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedCore } from "../common/chain";
import { load } from "../common/lazy";

export type StatusChange = "suspend" | "reactivate" | "revoke";

export interface StatusTaskOptions {
  terminal: string;
}

export async function runStatusChange(hre: HardhatRuntimeEnvironment, change: StatusChange, opts: StatusTaskOptions) {
  const core = await connectDeployedCore(hre, await chainContext(hre));
  const { sendChecked } = load.chain.errors();
  const id = load.chain.ids().toTerminalId(opts.terminal);
  const { tx } = await sendChecked(`${change} ${opts.terminal}`, core.registry[change], id);
  console.log(`${change}: ${opts.terminal} (${id}) in tx ${tx.hash}`);
}

for (const change of ["suspend", "reactivate", "revoke"] as const) {
  gridTask(`terminal:${change}`, `${change[0].toUpperCase()}${change.slice(1)} a terminal`, (t) =>
    t
      .addParam("terminal", "Terminal label (e.g. ieee39.bus13.pmu) or 0x id")
      .setAction(async (args: StatusTaskOptions, hre) => {
        await runStatusChange(hre, change, args);
      }),
  );
}
