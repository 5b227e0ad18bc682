import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDeployment, type Deployment } from "./deployments";

export {
  CONTRACT_NAMES,
  deploymentSchema,
  parseDeployment,
  requireAddress,
  type ContractName,
  type DeployedContract,
  type Deployment,
} from "./deployments";

/** Where deployment files go: `deployments/`, or GRIDLEDGER_DEPLOYMENTS_DIR (tests use a scratch folder). */
export function deploymentsDir(): string {
  return process.env.GRIDLEDGER_DEPLOYMENTS_DIR ?? "deployments";
}

/** `deployments/<network>-<chainId>.json`: one file per network and chain, so a fork or reset never collides. */
export function deploymentPath(network: string, chainId: number | bigint, dir = deploymentsDir()): string {
  return join(dir, `${network}-${chainId}.json`);
}

export function readDeployment(path: string): Deployment | undefined {
  if (!existsSync(path)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  return parseDeployment(json, path);
}

export function writeDeployment(path: string, deployment: Deployment): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, `${JSON.stringify(deployment, null, 2)}\n`);
}
