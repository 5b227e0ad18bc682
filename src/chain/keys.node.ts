import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Wallet, type HDNodeWallet } from "ethers";
import { devTerminalWallet } from "./keys";

export { DEV_MNEMONIC, devTerminalWallet, terminalKeyIndex } from "./keys";

export interface KeySource {
  /** A folder of encrypted JSON keystores named `<terminalId>.json`. */
  keystoreDir?: string;
  /** Password for the keystores (e.g. from the GRID_KEYSTORE_PASSWORD environment variable). */
  password?: string;
  /** Mnemonic for development keys when no keystore is given. */
  mnemonic?: string;
}

/** The signing key of a terminal: from its keystore when a folder is given, else the development derivation. */
export async function terminalSigningKey(terminalId: string, source: KeySource = {}): Promise<Wallet | HDNodeWallet> {
  if (!source.keystoreDir) return devTerminalWallet(terminalId, source.mnemonic);
  const file = join(source.keystoreDir, `${terminalId}.json`);
  if (!existsSync(file)) throw new Error(`no keystore for terminal ${terminalId}: expected ${file}`);
  if (source.password === undefined) throw new Error(`keystore ${file} needs a password: set GRID_KEYSTORE_PASSWORD`);
  try {
    return await Wallet.fromEncryptedJson(readFileSync(file, "utf8"), source.password);
  } catch (e) {
    throw new Error(`cannot open keystore ${file}: ${(e as Error).message}`, { cause: e });
  }
}
