import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HDNodeWallet, Mnemonic, Wallet } from "ethers";

/** Hardhat's and anvil's well-known development mnemonic. Never use it for anything of value. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Terminal keys live on their own account branch, apart from the node's funded accounts (m/44'/60'/0'). */
const TERMINAL_KEY_BRANCH = "m/44'/60'/7'/0";

/** The HD child index of a terminal: its id's first four bytes, below the hardened range. */
export function terminalKeyIndex(terminalId: string): number {
  return Number.parseInt(terminalId.slice(2, 10), 16) & 0x7fffffff;
}

/** A terminal's development signing key, derived from a mnemonic by terminal id (deterministic, no registry). */
export function devTerminalWallet(terminalId: string, mnemonic: string = DEV_MNEMONIC): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(
    Mnemonic.fromPhrase(mnemonic),
    `${TERMINAL_KEY_BRANCH}/${terminalKeyIndex(terminalId)}`,
  );
}

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
