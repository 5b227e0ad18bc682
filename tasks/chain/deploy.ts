import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext } from "../common/chain";
import { load } from "../common/lazy";

export interface DeployTaskOptions {
  admin?: string;
  noPolicies: boolean;
}

/** Deploys (or reuses) the four contracts and prints where they are. */
export async function runDeploy(hre: HardhatRuntimeEnvironment, opts: DeployTaskOptions) {
  const ctx = await chainContext(hre);
  const deploy = load.chain.deploy();
  const result = await deploy.deployCore({
    signer: ctx.signer,
    network: ctx.network,
    admin: opts.admin,
    defaultPolicies: !opts.noPolicies,
    log: (line) => console.log(line),
  });
  console.log(
    result.deployed.length === 0 ? `Nothing to deploy: ${result.path} is current.` : `Recorded in ${result.path}`,
  );
  return result;
}

gridTask(
  "deploy",
  "Deploy TerminalRegistry, DataAcquisition, DataSharing and DataNameRegistry (idempotent); set default policies",
  (t) =>
    t
      .addOptionalParam("admin", "Admin of every contract (default: the deployer)")
      .addFlag("noPolicies", "Do not set the default acquisition policies")
      .setAction(async (args: DeployTaskOptions, hre) => {
        await runDeploy(hre, args);
      }),
);
