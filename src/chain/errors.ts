import type { Interface } from "ethers";
import { CORE_INTERFACES } from "./contracts";
import { TERMINAL_STATUS_NAMES } from "./types";

/** Error arguments that carry a TerminalStatus enum, shown by name. */
const STATUS_ARGS = new Set(["from", "to", "status"]);

/** A chain call refused by a contract, decoded to its custom error. */
export class ContractRevertError extends Error {
  constructor(
    readonly errorName: string,
    readonly args: Record<string, unknown>,
    context: string,
  ) {
    const shown = Object.entries(args)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(", ");
    super(`${context}: the contract refused it with ${errorName}(${shown})`);
    this.name = "ContractRevertError";
  }
}

/** Finds revert data in the error shapes of ethers, Hardhat's ProviderError ({data: {data}}) and nested causes. */
function revertData(error: unknown): string | undefined {
  const isData = (v: unknown): v is string => typeof v === "string" && v.startsWith("0x") && v.length >= 10;
  let e = error as
    { data?: unknown; error?: unknown; parent?: unknown; info?: { error?: { data?: unknown } } } | undefined;
  for (let depth = 0; e && depth < 6; depth++) {
    if (isData(e.data)) return e.data;
    const nested = (e.data as { data?: unknown } | undefined)?.data;
    if (isData(nested)) return nested;
    if (isData(e.info?.error?.data)) return e.info.error.data;
    e = (e.error ?? e.parent) as typeof e;
  }
  return undefined;
}

/**
 * Turns a revert from any GridLedger contract into a ContractRevertError naming the custom error and its
 * arguments; other errors pass through unchanged.
 */
export function decodeRevert(
  error: unknown,
  context: string,
  interfaces: readonly Interface[] = CORE_INTERFACES,
): unknown {
  const data = revertData(error);
  if (!data) return error;
  for (const iface of interfaces) {
    const parsed = iface.parseError(data);
    if (!parsed) continue;
    const args: Record<string, unknown> = {};
    parsed.fragment.inputs.forEach((input, i) => {
      const value = parsed.args[i];
      args[input.name || `arg${i}`] =
        STATUS_ARGS.has(input.name) && input.type === "uint8" ? TERMINAL_STATUS_NAMES[Number(value)] : value;
    });
    return new ContractRevertError(parsed.name, args, context);
  }
  return error;
}

/** Runs a chain call and rethrows reverts decoded. */
export async function withDecodedRevert<T>(
  context: string,
  call: () => Promise<T>,
  interfaces?: readonly Interface[],
): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw decodeRevert(e, context, interfaces);
  }
}

/** A contract method as TypeChain types it: callable to send, with `staticCall` to simulate. */
export interface SendableMethod<A extends unknown[]> {
  (...args: A): Promise<import("ethers").ContractTransactionResponse>;
  staticCall(...args: A): Promise<unknown>;
}

/**
 * Simulates a call first (so a revert comes back with its data and is decoded to a named custom error, and no
 * transaction is sent), then sends it and waits for the receipt.
 */
export async function sendChecked<A extends unknown[]>(context: string, method: SendableMethod<A>, ...args: A) {
  await withDecodedRevert(context, () => method.staticCall(...args));
  const tx = await withDecodedRevert(context, () => method(...args));
  const receipt = await tx.wait();
  if (!receipt || receipt.status !== 1) throw new Error(`${context}: transaction ${tx.hash} failed`);
  return { tx, receipt };
}
