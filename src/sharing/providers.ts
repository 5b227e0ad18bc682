/**
 * Who may share what: provider certification and authorisation per terminal or per grid (DataSharing), checked
 * before any transaction so a refusal names the terminal and the command that would fix it.
 */
import { Contract, decodeBytes32String, encodeBytes32String, isAddress, isHexString, ZeroHash } from "ethers";
import DataAcquisitionAbi from "../../abi/DataAcquisition.json";
import type { DataAcquisition, DataSharing } from "../chain/contracts";
import { sendChecked, withDecodedRevert } from "../chain/errors";
import { toTerminalId } from "../chain/ids";
import { ProviderScope, type ProviderScopeName } from "../chain/types";

/** One authorisation: a provider for a terminal (id) or a grid (the registry location's gridId). */
export interface AuthorisationSpec {
  provider: string;
  scope: ProviderScopeName;
  /** 0x-prefixed 32-byte terminal id or grid id. */
  id: string;
}

/** What setting an authorisation did. */
export interface AuthorisationResult {
  /** Undefined when the authorisation was already in the requested state (no transaction sent). */
  txHash?: string;
  /** Whether the provider holds PROVIDER_ROLE now: without it the authorisation lets it do nothing yet. */
  certified: boolean;
}

/** A grid id from user input: 0x-prefixed 32 bytes as is, otherwise the name as bytes32 text ("ieee39"). */
export function toGridId(idOrName: string): string {
  const trimmed = idOrName.trim();
  if (trimmed === "") throw new Error("empty grid id");
  if (isHexString(trimmed, 32)) return trimmed.toLowerCase();
  if (trimmed.startsWith("0x")) throw new Error(`grid id ${trimmed} is 0x-prefixed but not 32 bytes of hex`);
  if (new TextEncoder().encode(trimmed).length > 31) throw new Error(`grid name "${trimmed}" is longer than 31 bytes`);
  return encodeBytes32String(trimmed);
}

/** A grid id as people write it: its text when it is one, otherwise the hex. */
export function gridLabel(gridId: string): string {
  try {
    const text = decodeBytes32String(gridId);
    if (/^[\x20-\x7e]+$/.test(text)) return text;
  } catch {
    // Not a bytes32 string: show the hex.
  }
  return gridId;
}

/** The scope and id of an authorisation given as either a terminal (label or id) or a grid (name or id). */
export function authorisationTarget(opts: {
  terminal?: string;
  grid?: string;
}): Pick<AuthorisationSpec, "scope" | "id"> {
  if ((opts.terminal === undefined) === (opts.grid === undefined)) {
    throw new Error("give exactly one of --terminal (label or 0x id) and --grid (name or 0x id)");
  }
  return opts.terminal !== undefined
    ? { scope: "Terminal", id: toTerminalId(opts.terminal) }
    : { scope: "Grid", id: toGridId(opts.grid!) };
}

export async function signerAddress(contract: { runner: unknown }): Promise<string> {
  const runner = contract.runner as { getAddress?: () => Promise<string> } | null;
  if (!runner?.getAddress) throw new Error("the contract is not connected to a signer");
  return runner.getAddress();
}

async function isAdmin(sharing: DataSharing, who: string): Promise<boolean> {
  return sharing.hasRole(await sharing.DEFAULT_ADMIN_ROLE(), who);
}

/** Authorises (or, with `authorised` false, withdraws) a provider for a terminal or a grid, as the admin. */
export async function setProviderAuthorisation(
  sharing: DataSharing,
  spec: AuthorisationSpec,
  authorised: boolean,
): Promise<AuthorisationResult> {
  if (!isAddress(spec.provider)) throw new Error(`the provider must be an address, got "${spec.provider}"`);
  const who = await signerAddress(sharing);
  if (!(await isAdmin(sharing, who))) {
    throw new Error(`${who} is not the DataSharing admin: only the admin authorises providers`);
  }
  const scope = ProviderScope[spec.scope];
  const certified = await sharing.hasRole(await sharing.PROVIDER_ROLE(), spec.provider);
  // A re-run changes nothing and sends nothing (the contract would refuse it with AuthorisationUnchanged).
  if ((await sharing.providerAuthorisation(spec.provider, scope, spec.id)) === authorised) return { certified };
  const verb = authorised ? "authorise" : "withdraw the authorisation of";
  const { tx } = await sendChecked(
    `${verb} ${spec.provider} for ${spec.scope.toLowerCase()} ${spec.id}`,
    sharing.setProviderAuthorisation,
    spec.provider,
    scope,
    spec.id,
    authorised,
  );
  return { txHash: tx.hash, certified };
}

/** Refuses, before any transaction, a caller that is not a certified provider. */
export async function requireProvider(sharing: DataSharing, who: string): Promise<void> {
  if (!(await sharing.hasRole(await sharing.PROVIDER_ROLE(), who))) {
    throw new Error(
      `${who} is not a certified provider (PROVIDER_ROLE): the DataSharing admin runs grid:provider:certify`,
    );
  }
}

/**
 * The stream terminal of each anchored root, read from the anchor contract the sharing contract is wired to (as the
 * contract itself does at registration). A root that was never anchored is an error naming it.
 */
export async function terminalsOfRoots(sharing: DataSharing, roots: readonly string[]): Promise<Map<string, string>> {
  const acquisition = new Contract(
    await sharing.acquisition(),
    DataAcquisitionAbi,
    sharing.runner,
  ) as unknown as DataAcquisition;
  const terminals = new Map<string, string>();
  for (const root of roots) {
    const terminalId = await acquisition.terminalOfBatch(root);
    if (terminalId === ZeroHash)
      throw new Error(`batch ${root} is not anchored: a dataset lists anchored batches only`);
    terminals.set(root, terminalId);
  }
  return terminals;
}

/** Refuses, before any transaction, terminals the provider is not authorised for (alone or through its grid). */
export async function requireAuthorised(
  sharing: DataSharing,
  who: string,
  terminalIds: Iterable<string>,
): Promise<void> {
  for (const terminalId of new Set(terminalIds)) {
    const ok = await withDecodedRevert(`check ${who}'s authorisation for terminal ${terminalId}`, () =>
      sharing.isProviderAuthorised(who, terminalId),
    );
    if (!ok) {
      throw new Error(
        `${who} is not authorised to share the data of terminal ${terminalId}: the DataSharing admin runs ` +
          `grid:share:authorise --provider ${who} --terminal ${terminalId} (or --grid with the terminal's grid)`,
      );
    }
  }
}

/** Refuses, before any transaction, a revoker that is neither the dataset's provider nor the admin. */
export async function requireRevoker(sharing: DataSharing, who: string, datasetId: bigint, provider: string) {
  if (who.toLowerCase() === provider.toLowerCase() || (await isAdmin(sharing, who))) return;
  throw new Error(
    `${who} may not revoke grants on dataset ${datasetId}: only its provider ${provider} or the DataSharing admin may`,
  );
}
