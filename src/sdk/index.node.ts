/**
 * The SDK's Node entry (`gridledger/node`): everything in the browser entry plus files: deployments, proofs,
 * terminals, records and keystores.
 */
import type { Provider, Signer } from "ethers";
import { deploymentPath, readDeployment } from "../chain/deployments.node";
import { GridLedgerClient, type GridLedgerClientOptions } from "./client";

export * from "./index";
export { deploymentsDir, deploymentPath, readDeployment, writeDeployment } from "../chain/deployments.node";
export { readProofs, writeBatchProofs } from "../chain/proofs.node";
export { readTerminalsFile } from "../terminals/registration.node";
export { terminalSigningKey, type KeySource } from "../chain/keys.node";
export { readRecordsFile, type LoadedRecord, type RecordDefaults } from "../records/file";

/**
 * A client for the deployment recorded in `<dir>/<network>-<chainId>.json` (as `grid:deploy` writes it), for the
 * chain the runner is connected to.
 */
export async function connectFromDeployments(
  runner: Provider | Signer,
  network: string,
  options: GridLedgerClientOptions & { dir?: string } = {},
): Promise<GridLedgerClient> {
  const provider = runner.provider;
  if (!provider) throw new Error("connectFromDeployments: the signer is not connected to a provider");
  const { chainId } = await provider.getNetwork();
  const path = deploymentPath(network, chainId, options.dir);
  const deployment = readDeployment(path);
  if (!deployment) throw new Error(`no deployment file ${path}: run \`npx hardhat grid:deploy --network ${network}\``);
  return GridLedgerClient.fromDeployment(runner, deployment, options);
}
