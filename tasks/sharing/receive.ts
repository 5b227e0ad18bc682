import { types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { readFileSync } from "node:fs";
import { gridTask } from "../common/gridTask";
import { chainContext, connectDeployedCore, connectDeployedGovernance } from "../common/chain";
import { accountWallet, keySigner } from "../common/accounts";
import { load } from "../common/lazy";

export interface ReceiveTaskOptions {
  bundle: string;
  key?: string;
  account?: number;
  out?: string;
  ack: boolean;
}

/**
 * As the receiver: checks the on-chain grant, decrypts the bundle, proves every record against the on-chain roots
 * and writes `records.json` plus per-batch proofs files to `--out` (default `<bundle>.received/`).
 */
export async function runReceive(hre: HardhatRuntimeEnvironment, opts: ReceiveTaskOptions) {
  const { parseBundleJson, parsePrivateKey } = load.sharing.bundle();
  const { receiveBundle, writeReceived, acknowledgeReceipt, iso } = load.sharing.datasets();
  if (opts.key !== undefined && opts.account !== undefined) throw new Error("give --key or --account, not both");
  const text = (() => {
    try {
      return readFileSync(opts.bundle, "utf8");
    } catch (e) {
      throw new Error(`cannot read bundle ${opts.bundle}: ${(e as Error).message}`);
    }
  })();
  const bundle = parseBundleJson(text, opts.bundle);
  const privateKey = parsePrivateKey(opts.key ?? (await receiverWallet(hre, opts.account, bundle.receiver.address)));
  const ctx = await chainContext(hre);
  const core = await connectDeployedCore(hre, ctx);
  const governance = await connectDeployedGovernance(hre, ctx, keySigner(hre, privateKey));
  const received = await receiveBundle({ core, governance, bundle, privateKey });
  const dir = opts.out ?? `${opts.bundle.replace(/\.json$/, "")}.received`;
  const written = writeReceived(dir, received);
  console.log(
    `Received ${received.records.length} records of dataset ${received.dataset.id} from ${received.dataset.provider}: every proof checks out on-chain (${received.batches.length} batches)`,
  );
  console.log(`  access valid until ${iso(received.expiresAt)}; records: ${written.records}`);
  if (opts.ack) {
    const tx = await acknowledgeReceipt(governance.sharing, received.dataset.id, received.ciphertextHash);
    console.log(`  receipt acknowledged on-chain (tx ${tx})`);
  }
  return { received, written };
}

/** The key of `--account`, or of the network account that is the bundle's receiver. */
async function receiverWallet(hre: HardhatRuntimeEnvironment, account: number | undefined, receiver: string) {
  if (account !== undefined) return (await accountWallet(hre, account)).privateKey;
  const signers = await hre.ethers.getSigners();
  const index = signers.findIndex((s) => s.address.toLowerCase() === receiver.toLowerCase());
  if (index < 0) {
    throw new Error(`the bundle is for ${receiver}, which is not one of this network's accounts: pass --key <hex>`);
  }
  return (await accountWallet(hre, index)).privateKey;
}

gridTask(
  "receive",
  "As the receiver: check the grant, decrypt a bundle, verify every record on-chain, write them",
  (t) =>
    t
      .addParam("bundle", "Bundle file written by grid:share")
      .addOptionalParam("key", "Receiver private key (hex)")
      .addOptionalParam(
        "account",
        "Index of the receiver's account (default: the account the bundle is for)",
        undefined,
        types.int,
      )
      .addOptionalParam("out", "Output folder (default: <bundle>.received)")
      .addFlag("ack", "Acknowledge receipt on-chain")
      .setAction(async (args: ReceiveTaskOptions, hre) => {
        await runReceive(hre, args);
      }),
);
