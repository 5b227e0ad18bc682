/** Development terminal keys, derived from a mnemonic (no file I/O: usable in browsers and examples). */
import { HDNodeWallet, Mnemonic } from "ethers";

/** Hardhat's and anvil's well-known development mnemonic. Never use it for anything of value. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Terminal keys live on their own account branch, apart from the node's funded accounts (m/44'/60'/0'). */
const TERMINAL_KEY_BRANCH = "m/44'/60'/7'/0";

/** The HD child index of a terminal: its id's first four bytes, below the hardened range. */
export function terminalKeyIndex(terminalId: string): number {
  return Number.parseInt(terminalId.slice(2, 10), 16) & 0x7fffffff;
}

/** The branch node per mnemonic: the phrase's seed stretch (PBKDF2, 2,048 rounds) is the slow part, done once. */
const branches = new Map<string, HDNodeWallet>();

/**
 * Each derived terminal key, per mnemonic and child index. A derivation costs about 2 ms of elliptic-curve work,
 * and a run derives each terminal's key several times (registration, signing its packages, signing as a
 * generator): on ACTIVSg10k's 14,170 terminals that was minutes.
 */
const derived = new Map<string, Map<number, HDNodeWallet>>();

/** A terminal's development signing key, derived from a mnemonic by terminal id (deterministic, no registry). */
export function devTerminalWallet(terminalId: string, mnemonic: string = DEV_MNEMONIC): HDNodeWallet {
  let branch = branches.get(mnemonic);
  if (branch === undefined) {
    branch = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(mnemonic), TERMINAL_KEY_BRANCH);
    branches.set(mnemonic, branch);
    derived.set(mnemonic, new Map());
  }
  const index = terminalKeyIndex(terminalId);
  const children = derived.get(mnemonic)!;
  let wallet = children.get(index);
  if (wallet === undefined) {
    wallet = branch.deriveChild(index);
    children.set(index, wallet);
  }
  return wallet;
}
