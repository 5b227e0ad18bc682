import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedCore } from "../common/chain";
import { load } from "../common/lazy";

export interface PolicyTaskOptions {
  type: number;
  tolerance: number;
  timeScale: number;
  maxRecords: number;
  sensors: number;
  trigger: string;
  disable: boolean;
}

export async function runSetPolicy(hre: HardhatRuntimeEnvironment, opts: PolicyTaskOptions) {
  const { TriggerMode } = load.chain.types();
  const { sendChecked } = load.chain.errors();
  const trigger = { time: TriggerMode.TimeDriven, event: TriggerMode.EventDriven }[opts.trigger];
  if (trigger === undefined) throw new Error(`--trigger must be "time" or "event", got "${opts.trigger}"`);
  const core = await connectDeployedCore(hre, await chainContext(hre));
  const policy = {
    tolerance: opts.tolerance,
    timeScale: opts.timeScale,
    maxRecords: opts.maxRecords,
    sensorCount: opts.sensors,
    trigger,
    enabled: !opts.disable,
  };
  const { tx } = await sendChecked(`setPolicy(${opts.type})`, core.acquisition.setPolicy, opts.type, policy);
  console.log(`policy for data type ${opts.type}: ${JSON.stringify(policy)} (tx ${tx.hash})`);
}

gridTask("policy:set", "Set the acquisition policy of a data type TY", (t) =>
  t
    .addParam("type", "Data type TY (1 readings, 2 transactions, 3 events, or your own)", undefined, types.int)
    .addParam("tolerance", "Δt: seconds after a window ends that it may still be anchored", undefined, types.int)
    .addOptionalParam("timeScale", "δ: sampling period in seconds", 900, types.int)
    .addOptionalParam("maxRecords", "Most records per batch", 1_000_000, types.int)
    .addOptionalParam("sensors", "n: number of sensors reporting this type", 0, types.int)
    .addOptionalParam("trigger", "time | event", "time", types.string)
    .addFlag("disable", "Disable the data type")
    .setAction(async (args: PolicyTaskOptions, hre) => {
      await runSetPolicy(hre, args);
    }),
);
