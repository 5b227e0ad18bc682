import { ethers } from "hardhat";
import { deployCore, StreamWriter, type CoreOptions } from "./fixtures";

export interface GovernanceOptions extends CoreOptions {
  /** Batches to anchor on terminal 0's stream before the fixture returns (default 3). */
  batches?: number;
}

/**
 * The core contracts plus DataSharing and DataNameRegistry, with a certified provider, anchored batches and named
 * accounts for every role: admin, provider, otherProvider (certified too), receiver, stranger.
 */
export async function deployGovernance(options: GovernanceOptions = {}) {
  const core = await deployCore(options);
  const signers = await ethers.getSigners();
  const [provider, otherProvider, receiver, rootRegistrar] = signers.slice(5, 9);
  const acquisitionAddress = await core.acquisition.getAddress();
  const sharing = await (await ethers.getContractFactory("DataSharing")).deploy(acquisitionAddress, core.admin.address);
  const names = await (
    await ethers.getContractFactory("DataNameRegistry")
  ).deploy(acquisitionAddress, await sharing.getAddress(), core.admin.address);
  const providerRole = await sharing.PROVIDER_ROLE();
  await sharing.grantRole(providerRole, provider.address);
  await sharing.grantRole(providerRole, otherProvider.address);
  await names.grantRole(await names.ROOT_REGISTRAR_ROLE(), rootRegistrar.address);

  const stream = new StreamWriter(core, core.terminals[0]);
  const batches = [];
  for (let i = 0; i < (options.batches ?? 3); i++) batches.push((await stream.anchorNext()).header);
  // The anchored roots in increasing order (lowercase hex of equal length sorts as numbers), as datasets list them.
  const roots = batches.map((b) => b.merkleRoot.toLowerCase()).sort();
  return { ...core, sharing, names, provider, otherProvider, receiver, rootRegistrar, stream, batches, roots };
}

export const deployGovernanceDefault = () => deployGovernance();
