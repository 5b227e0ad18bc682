import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedCore, connectDeployedGovernance } from "../common/chain";
import { accountSigner } from "../common/accounts";
import { load } from "../common/lazy";

export interface ShareTaskOptions {
  dataset: string;
  receiver: string;
  expiry: string;
  proofs: string;
  out?: string;
  account: number;
  noDelivery: boolean;
}

/**
 * Encrypts a dataset's records for a receiver, records the grant (expiry + ciphertext hash) on-chain, writes the
 * bundle file and logs the delivery. Records come from the `<file>.proofs.json` files grid:anchor wrote.
 */
export async function runShare(hre: HardhatRuntimeEnvironment, opts: ShareTaskOptions) {
  const { readProofs } = load.chain.proofs();
  const { devAccountPublicKeys, resolveReceiver } = load.sharing.bundle();
  const { DEV_MNEMONIC } = load.chain.keys();
  const { shareDataset, parseExpiry, requestedPublicKeys, iso } = load.sharing.datasets();

  const files = opts.proofs
    .split(",")
    .map((f) => f.trim())
    .filter((f) => f !== "");
  if (files.length === 0) throw new Error("--proofs needs at least one <file>.proofs.json (comma-separated)");
  const proofs = files.flatMap((f) => readProofs(f));
  const ctx = await chainContext(hre);
  const signer = await accountSigner(hre, opts.account);
  const core = await connectDeployedCore(hre, ctx);
  const governance = await connectDeployedGovernance(hre, ctx, signer);
  const datasetId = await load.naming.names().datasetIdFrom(governance.names, opts.dataset);
  // An address resolves to a key it published with grid:share:request, or to a development account's key.
  const known = new Map([
    ...devAccountPublicKeys(DEV_MNEMONIC, 20),
    ...(await requestedPublicKeys(governance.sharing)),
  ]);
  const receiver = resolveReceiver(opts.receiver, known);
  const now = (await hre.ethers.provider.getBlock("latest"))!.timestamp;
  const expiresAt = parseExpiry(opts.expiry, now);
  const out = opts.out ?? `share-${datasetId}-${receiver.address.slice(2, 10).toLowerCase()}.bundle.json`;
  const outcome = await shareDataset({
    core,
    governance,
    datasetId,
    receiver,
    expiresAt,
    proofs,
    out,
    recordDelivery: !opts.noDelivery,
  });
  console.log(
    `Shared ${outcome.recordCount} records of dataset ${datasetId} (${outcome.bundle.metadata.batches.length} batches) with ${receiver.address} until ${iso(expiresAt)}`,
  );
  console.log(`  ciphertext hash ${outcome.bundle.ciphertextHash}, grant tx ${outcome.grantTx}`);
  if (outcome.deliveryTx) console.log(`  delivery logged in tx ${outcome.deliveryTx}`);
  console.log(`  bundle: ${out}`);
  return { ...outcome, out };
}

gridTask("share", "Encrypt a dataset's records for a receiver, grant access on-chain and write the bundle", (t) =>
  t
    .addParam("dataset", "Dataset id or a name pointing at it")
    .addParam("receiver", "Receiver public key (0x02/03/04…), or an address that published its key or is a dev account")
    .addParam("expiry", "When access ends: 2026-12-31, 2026-12-31T18:00:00Z (UTC), unix seconds, or 30d / 12h / 90m")
    .addParam("proofs", "Comma-separated <file>.proofs.json files written by grid:anchor")
    .addOptionalParam("out", "Bundle file (default: share-<dataset>-<receiver>.bundle.json)")
    .addOptionalParam("account", "Index of the provider's account", 0, types.int)
    .addFlag("noDelivery", "Do not log the delivery on-chain")
    .setAction(async (args: ShareTaskOptions, hre) => {
      await runShare(hre, args);
    }),
);
