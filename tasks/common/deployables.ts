import type { HardhatRuntimeEnvironment } from "hardhat/types";

/** A contract that is deployed on its own: a top-level contracts/<Name>.sol defining a concrete contract <Name>. */
export interface Deployable {
  name: string;
  sourceName: string;
  fullyQualifiedName: string;
}

const TOP_LEVEL = /^contracts\/([A-Za-z0-9_]+)\.sol:([A-Za-z0-9_]+)$/;

/**
 * The deployable contracts, from the compiled artifacts (so a new contracts/X.sol is picked up without a list to
 * keep): interfaces, libraries, abstract contracts and harnesses under contracts/test are left out.
 */
export async function deployables(hre: HardhatRuntimeEnvironment): Promise<Deployable[]> {
  const found: Deployable[] = [];
  for (const fullyQualifiedName of await hre.artifacts.getAllFullyQualifiedNames()) {
    const m = TOP_LEVEL.exec(fullyQualifiedName);
    if (!m || m[1] !== m[2]) continue;
    const artifact = await hre.artifacts.readArtifact(fullyQualifiedName);
    if (artifact.bytecode === "0x" || artifact.bytecode === "") continue;
    found.push({ name: m[2], sourceName: artifact.sourceName, fullyQualifiedName });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}
