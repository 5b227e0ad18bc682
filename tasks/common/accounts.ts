import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { HDNodeWallet, Mnemonic, Wallet, type Signer } from "ethers";

/** Hardhat's and anvil's development mnemonic (the nodes unlock its accounts; see src/chain/keys.ts). */
const DEV_MNEMONIC = "test test test test test test test test test test test junk";
const DEFAULT_HD_PATH = "m/44'/60'/0'/0";

/**
 * The private key of the network's account `index`: derived from the configured mnemonic, taken from the configured
 * key list, or (for a node with unlocked "remote" accounts such as `npx hardhat node` and anvil) derived from the
 * development mnemonic and checked against the node's own account list.
 */
export async function accountWallet(hre: HardhatRuntimeEnvironment, index: number): Promise<Wallet | HDNodeWallet> {
  if (!Number.isInteger(index) || index < 0) throw new Error(`--account must be a whole number >= 0, got ${index}`);
  const accounts = hre.network.config.accounts as
    string | string[] | { privateKey: string }[] | { mnemonic: string; path?: string; passphrase?: string };
  let wallet: Wallet | HDNodeWallet;
  if (Array.isArray(accounts)) {
    const entry = accounts[index];
    if (entry === undefined)
      throw new Error(
        `network ${hre.network.name} configures ${accounts.length} account(s); --account ${index} is not one`,
      );
    wallet = new Wallet(typeof entry === "string" ? entry : entry.privateKey);
  } else {
    const hd = typeof accounts === "object" ? accounts : { mnemonic: DEV_MNEMONIC };
    wallet = HDNodeWallet.fromMnemonic(
      Mnemonic.fromPhrase(hd.mnemonic, hd.passphrase),
      `${hd.path ?? DEFAULT_HD_PATH}/${index}`,
    );
  }
  const signers = await hre.ethers.getSigners();
  if (signers[index] && signers[index].address.toLowerCase() !== wallet.address.toLowerCase()) {
    throw new Error(
      `cannot find the private key of account ${index} (${signers[index].address}) on network ${hre.network.name}: pass --key`,
    );
  }
  return wallet;
}

/** A signer for account `index` of the network (the node's own account when it has one). */
export async function accountSigner(hre: HardhatRuntimeEnvironment, index: number): Promise<Signer> {
  const signers = await hre.ethers.getSigners();
  const signer = signers[index];
  if (!signer)
    throw new Error(`network ${hre.network.name} has ${signers.length} account(s); --account ${index} is not one`);
  return signer;
}

/** A signer for a raw private key (hex), connected to the task's network. */
export function keySigner(hre: HardhatRuntimeEnvironment, privateKey: Uint8Array | string): Signer {
  const hex = typeof privateKey === "string" ? privateKey : `0x${Buffer.from(privateKey).toString("hex")}`;
  return new Wallet(hex, hre.ethers.provider);
}
