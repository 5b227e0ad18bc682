/** The deployments file format (`deployments/<network>-<chainId>.json`), without file I/O. */
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

/** Validates parsed JSON as a deployment; errors name `source` and the bad field. */
export function parseDeployment(json: unknown, source: string): Deployment {
  const parsed = deploymentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${source}: field "${issue.path.join(".")}": ${issue.message}`);
  }
  return parsed.data;
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
