import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/** The deployable contracts, by artifact name. */
export const CONTRACT_NAMES = ["TerminalRegistry", "DataAcquisition", "DataNameRegistry", "DataSharing"] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x address");
const deployedSchema = z.object({
  address: addressSchema,
  txHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  blockNumber: z.number().int().nonnegative(),
  version: z.string(),
});
export type DeployedContract = z.infer<typeof deployedSchema>;

export const deploymentSchema = z.object({
  network: z.string(),
  chainId: z.number().int().positive(),
  deployer: addressSchema,
  updatedAt: z.string(),
  contracts: z.partialRecord(z.enum(CONTRACT_NAMES), deployedSchema),
});
export type Deployment = z.infer<typeof deploymentSchema>;

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
  const parsed = deploymentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: field "${issue.path.join(".")}": ${issue.message}`);
  }
  return parsed.data;
}

export function writeDeployment(path: string, deployment: Deployment): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, `${JSON.stringify(deployment, null, 2)}\n`);
}

/** The address of a deployed contract, or a clear error telling the user to deploy first. */
export function requireAddress(deployment: Deployment | undefined, name: ContractName, path: string): string {
  const address = deployment?.contracts[name]?.address;
  if (!address)
    throw new Error(
      `${name} is not deployed on this network (no entry in ${path}): run \`npx hardhat grid:deploy\` first`,
    );
  return address;
}
